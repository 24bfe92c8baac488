"""« Journal des opérations » on 1,000,000 audit records: the app's page against the raw LDAP query.

Run with `make bench-journal`. The records (one year of operations over the establishments, 1 to 5
accounts each) are written straight as LDIF and loaded with `slapadd -q`. Each scenario is timed as the
journal page over the test client (signed in as a head, or as the identity team) and as the raw LDAP
search the page makes (same filter, sort and VLV controls, same attributes); p50, p95 and ratios.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import ldap3

from directory import attributes as A
from directory import journal
from directory.delegations import PARIS

from .common import SERVICE_DN, STAFF_PASSWORD, SUFFIX, big_directory, signed_in, summary, timed, uai_of

ACTIONS = ("notify", "reset", "list", "sign-in", "reset", "reset", "sign-in", "notify")
ADMIN = "admin.bench"


def write_records(out, count: int, establishments: int, now: datetime) -> None:
    """`count` closed audit records spread evenly over the last 365 days, by each establishment's head,
    in the order they were written (the trail only grows: slapd's entry ids follow time)."""
    rng = random.Random(16)
    base = f"{A.AUDIT},{SUFFIX}"
    span = 365 * 86400
    chunk = []
    for n in range(count):
        school = rng.randrange(establishments)
        moment = now - timedelta(seconds=span * (count - n) / count)
        when, day = moment.strftime("%Y%m%d%H%M%SZ"), moment.astimezone(PARIS).strftime("%Y%m%d")
        action = ACTIONS[rng.randrange(len(ACTIONS))]
        targets = "".join(f"{A.TARGET}: {rng.getrandbits(128):032x}\n" for _ in range(rng.randint(1, 5)))
        chunk.append(f"dn: cn=b{n:07d},{base}\nobjectClass: {A.OC_AUDIT}\nobjectClass: {A.OC_DATED}\ncn: b{n:07d}\n{A.ACTOR}: head.{school}\n"
                     f"{A.ACTION}: {action}\n{A.UAI}: {uai_of(school)}\n{A.DESCRIPTION}: {action} : 1 fait(s)\n"
                     f"{targets}{A.CREATED}: {when}\n{A.AUDIT_DAY}: {day}\n\n")
        if len(chunk) == 10_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
    out.write(f"dn: uid={ADMIN},{A.STAFF},{SUFFIX}\nobjectClass: {A.OC_PERSON}\nobjectClass: {A.OC_STAFF}\n"
              f"uid: {ADMIN}\ncn: Admin Bench\nsn: Bench\n\n")




def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--establishments", type=int, default=100)
    parser.add_argument("--requests", type=int, default=100, help="requests per scenario")
    args = parser.parse_args(argv)
    now = datetime.now(timezone.utc)
    started = time.monotonic()

    def more(out):
        write_records(out, args.records, args.establishments, now)
        print(f"{args.records:,} audit records written as LDIF in {time.monotonic() - started:.1f} s")

    with big_directory(args.establishments, 20, more_entries=more) as config:
        from webapp import create_app
        raw = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"]), SERVICE_DN,
                               config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
        group = f"cn={A.ADMIN_GROUP_CN},{A.GROUPS},{SUFFIX}"
        raw.modify(group, {A.MEMBER: [(ldap3.MODIFY_ADD, [f"uid={ADMIN},{A.STAFF},{SUFFIX}"])]})
        password = raw.extend.standard.modify_password(f"uid={ADMIN},{A.STAFF},{SUFFIX}", new_password=STAFF_PASSWORD)
        assert password is not False
        app = create_app({**config, "SESAME_STAFF_TOTP": "off"})   # the second factor is not what is timed
        school = args.establishments // 2
        uai = uai_of(school)
        head, admin = signed_in(app, f"head.{school}"), signed_in(app, ADMIN)
        today = datetime.now(PARIS).date()
        week, year = (today - timedelta(days=7)).isoformat(), (today - timedelta(days=365)).isoformat()
        month_ago = today - timedelta(days=journal_default_days())
        scenarios = {
            # label: (client, query string, the query the page makes)
            "head: own establishment, last month (default)": (
                head, {}, journal.JournalQuery(uai, since=month_ago)),
            "head: own establishment, one week": (
                head, {"du": week, "au": today.isoformat()},
                journal.JournalQuery(uai, since=today - timedelta(days=7), until=today)),
            "head: own establishment, whole year": (
                head, {"du": year}, journal.JournalQuery(uai, since=today - timedelta(days=365))),
            "head: own establishment, one action, one year": (
                head, {"du": year, "action": "notify"},
                journal.JournalQuery(uai, action="notify", since=today - timedelta(days=365))),
            "identity team: one establishment, one week": (
                admin, {"etablissement": uai, "du": week}, journal.JournalQuery(uai, since=today - timedelta(days=7))),
            "identity team: every establishment, today (default)": (
                admin, {}, journal.JournalQuery(None, since=today)),
            "identity team: one person, any date": (
                admin, {"personne": f"head.{school}"}, journal.JournalQuery(None, actor=f"head.{school}")),
        }
        print(f"\n{'journal page (50 rows, newest first, with total)':52} {'total':>7} {'app p50':>8} {'app p95':>8}"
              f" {'LDAP p50':>9} {'LDAP p95':>9} {'ratio p50':>9} {'ratio p95':>9}")
        worst = 0.0
        base = f"{A.AUDIT},{SUFFIX}"
        for label, (client, args_, query) in scenarios.items():
            controls = [journal.sort_control(journal.NEWEST_FIRST), journal.page_control(1, 50)]
            filter_ = journal.filter_for(query)

            def page():
                response = client.get("/journal", query_string=args_)
                assert response.status_code == 200, response.get_data(as_text=True)[-3000:]

            def raw_query():
                # a fresh connection for each sorted search, as the app's pool does (slapd keeps a sort's
                # state per connection, and answers `busy` past olcSssVlvMaxPerConn)
                conn = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"]), SERVICE_DN,
                                        config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
                conn.search(base, filter_, ldap3.LEVEL, attributes=journal.ATTRIBUTES, controls=controls)
                assert conn.result["result"] == 0, conn.result
                raw_query.rows = len(conn.entries)
                conn.unbind()

            page(), raw_query()    # warm-up
            found = journal.page(app.extensions["sesame.directory"], query)
            app_times = timed(page, args.requests)
            raw_times = timed(raw_query, args.requests)
            (a50, a95), (r50, r95) = summary(app_times), summary(raw_times)
            worst = max(worst, a95)
            print(f"{label:52} {found.total:>7,} {a50:>7.1f}ms {a95:>7.1f}ms {r50:>8.1f}ms {r95:>8.1f}ms"
                  f" {a50 / r50:>8.2f}x {a95 / r95:>8.2f}x")
        print(f"\ntarget (DESIGN.md): audit screen, 1M records, filtered: p95 <= 150 ms; worst p95 here {worst:.1f} ms")
        return 0


def journal_default_days() -> int:
    from webapp.journal.views import DEFAULT_DAYS
    return DEFAULT_DAYS


if __name__ == "__main__":
    sys.exit(main())
