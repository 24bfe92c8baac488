"""The SSO engine's configuration as the project generates it: what it reads is what migrations 0023 and 0030 let
it read, and a deployment's services file (the school's services, Sésame itself) becomes LemonLDAP::NG's keys."""
import json
import re

import pytest

from directory.migrations import MIGRATIONS_DIR
from sso.configure import main as configure
from sso.lemonldap import LDAP_VARIABLES, PROFILE_CLAIMS, SESAME_CLAIMS, SESAME_SCOPE


def _acl_attributes(branch: str) -> set[str]:
    text = (MIGRATIONS_DIR / "0023_sso_identity.ldif").read_text()
    rule = re.search(rf'to dn\.subtree="ou={branch},\{{\{{suffix\}}\}}"\s+attrs=([\w,]+)\s+by dn\.exact="\{{\{{sso_dn\}}\}}" read',
                     text)
    return {a.lower() for a in rule.group(1).split(",")}


def test_the_engine_reads_only_attributes_the_directory_lets_it_read():
    read = {a.lower() for a in LDAP_VARIABLES.values()}
    students, guardians = _acl_attributes("students"), _acl_attributes("guardians")
    assert read - {"sesamechild"} <= students and read - {"sesameclass", "sesamemef", "sesameexternaluai"} <= guardians
    assert not {"userpassword", "sesamesealedpassword", "sesameine", "sesamebirthdate", "mail"} & (students | guardians)


def test_a_services_file_becomes_the_engines_keys(tmp_path):
    (tmp_path / "sp.xml").write_text('<EntityDescriptor entityID="https://moodle.example.org/sp"/>')
    services = tmp_path / "services.json"
    services.write_text(json.dumps({
        "oidc": [{"key": "ent", "name": "ENT", "client_id": "ent", "client_secret": "s3cret",
                  "redirect_uris": ["https://ent.example.org/cb", "https://ent.example.org/cb2"]}],
        "saml": [{"key": "moodle", "metadata": "sp.xml"}], "cas": [{"key": "cloud", "service_url": "https://cloud.example.org/"}]}))
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "lmConf-3.json").write_text("{}")
    environ = {"SESAME_SSO_PORTAL_URL": "https://auth.example.org/", "SESAME_LDAP_SSO_PASSWORD": "pw",
               "SESAME_LDAP_URL": "ldaps://ldap.example.org", "SESAME_LDAP_SUFFIX": "dc=example,dc=org"}
    assert configure([str(services), "--conf-dir", str(conf_dir), "--key", str(tmp_path / "sso.key"),
                      "--nginx", str(tmp_path / "portal.conf")], environ) == 0
    conf = json.loads((conf_dir / "lmConf-4.json").read_text())
    assert conf["cfgNum"] == 4 and conf["portal"] == "https://auth.example.org/" and conf["securedCookie"] == 1
    assert conf["managerDn"] == "cn=sso,ou=services,dc=example,dc=org" and conf["ldapServer"] == "ldaps://ldap.example.org"
    assert conf["ldapPpolicyControl"] == 1 and conf["ldapChangePasswordAsUser"] == 1
    rp = conf["oidcRPMetaDataOptions"]["ent"]
    assert rp["oidcRPMetaDataOptionsRedirectUris"] == "https://ent.example.org/cb https://ent.example.org/cb2"
    assert conf["oidcRPMetaDataExportedVars"]["ent"] == {**PROFILE_CLAIMS, **SESAME_CLAIMS}
    assert conf["oidcRPMetaDataOptionsExtraClaims"]["ent"] == {SESAME_SCOPE: "role etablissements classe mef enfants"}
    assert "moodle.example.org" in conf["samlSPMetaDataXML"]["moodle"]["samlSPMetaDataXML"]
    assert conf["issuerDBSAMLActivation"] == 1 and conf["issuerDBCASActivation"] == 1
    assert conf["casAppMetaDataOptions"]["cloud"]["casAppMetaDataOptionsService"] == "https://cloud.example.org/"
    assert (tmp_path / "sso.key").stat().st_mode & 0o777 == 0o600
    assert "server_name auth.example.org;" in (tmp_path / "portal.conf").read_text()


def test_the_engine_reads_only_the_names_of_staff():
    """Migration 0030: staff are found by identifier and named; their rights stay Sésame's to read."""
    from sso.lemonldap import STAFF_CLAIMS
    text = (MIGRATIONS_DIR / "0030_sso_staff.ldif").read_text()
    rule = re.search(r'to dn\.subtree="ou=staff,\{\{suffix\}\}"\s+attrs=([\w,]+)\s+by dn\.exact="\{\{sso_dn\}\}" read', text)
    staff = {a.lower() for a in rule.group(1).split(",")}
    released = {value.split(";")[0].lower() for value in STAFF_CLAIMS.values()} - {"amr"}
    assert released <= staff
    assert not {"sesameheadof", "sesamesupportfor", "sesametotpsecret", "sesametotprecovery", "userpassword",
                "mail"} & staff


def test_sesame_in_the_services_file_becomes_the_staffs_client_and_the_handlers_application(tmp_path):
    services = tmp_path / "services.json"
    services.write_text(json.dumps({
        "sesame": {"url": "https://sesame.example.org/", "client_id": "sesame", "client_secret": "c0nsole"},
        "sesame_guarded": {"host": "depannage.example.org", "upstream": "http://127.0.0.1:5000",
                           "listen": "127.0.0.1:8081"}}))
    environ = {"SESAME_SSO_PORTAL_URL": "https://auth.example.org/", "SESAME_LDAP_SSO_PASSWORD": "pw",
               "SESAME_SSO_SECRET": "le-secret-partage", "SESAME_SSO_COOKIE_DOMAIN": "example.org"}
    assert configure([str(services), "--conf-dir", str(tmp_path), "--key", str(tmp_path / "k.key"),
                      "--sesame-nginx", str(tmp_path / "sesame.conf")], environ) == 0
    conf = json.loads((tmp_path / "lmConf-1.json").read_text())
    rp = conf["oidcRPMetaDataOptions"]["sesame"]
    assert rp["oidcRPMetaDataOptionsRequirePKCE"] == 1 and rp["oidcRPMetaDataOptionsRule"] == "$_dn =~ /,ou=staff,/i"
    assert rp["oidcRPMetaDataOptionsRedirectUris"] == "https://sesame.example.org/connexion/portail/retour"
    assert rp["oidcRPMetaDataOptionsLogoutType"] == "back"
    assert rp["oidcRPMetaDataOptionsLogoutUrl"] == "https://sesame.example.org/connexion/portail/deconnexion"
    assert rp["oidcRPMetaDataOptionsPostLogoutRedirectUris"] == "https://sesame.example.org/connexion/portail/fin"
    assert "amr" in conf["oidcRPMetaDataOptionsExtraClaims"]["sesame"]["profile"].split()
    assert conf["oidcRPMetaDataOptions"] and all(
        o["oidcRPMetaDataOptionsRule"] for o in conf["oidcRPMetaDataOptions"].values())
    assert conf["domain"] == "example.org" and "Sesame::LemonLDAP::BackChannelLogout" in conf["customPlugins"]
    assert conf["locationRules"]["depannage.example.org"] == {"default": "$_dn =~ /,ou=staff,/i"}
    assert conf["exportedHeaders"]["depannage.example.org"] == {"X-Remote-User": "$uid"}
    assert conf["vhostOptions"]["depannage.example.org"]["vhostAuthnLevel"] == 5 == conf["totp2fAuthnLevel"]
    assert conf["totp2fSelfRegistration"] == 0
    nginx = (tmp_path / "sesame.conf").read_text()
    assert "auth_request /lmauth;" in nginx and "proxy_set_header X-Remote-User $sesame_user;" in nginx
    assert 'proxy_set_header X-Sesame-Proxy-Secret "le-secret-partage";' in nginx
    assert (tmp_path / "sesame.conf").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("host, domain, says", [
    ("auth.example.org", "example.org", "a name of its own"),
    ("sesame.autre.org", "example.org", "not under the portal's cookie domain"),
])
def test_sesame_behind_the_handler_has_a_name_of_its_own_under_the_portals_cookie_domain(host, domain, says):
    from pathlib import Path

    from sso.lemonldap import EnginePaths, EngineSettings, GuardedConsole, lmconf, signing_pair
    settings = EngineSettings("https://auth.example.org/", "ldap://x", "dc=x", "pw", signing_pair()[0],
                              cookie_domain=domain, guarded_console=GuardedConsole(host, "http://127.0.0.1:5000", "s"))
    with pytest.raises(ValueError, match=says):
        lmconf(settings, EnginePaths.under(Path("/tmp/nowhere")))


def test_make_sso_keeps_the_demo_staffs_key_and_shows_it_as_a_qr_code(tmp_path):
    """What `make sso` prints for the demo staff's second factor: a key kept once (mode 600), and a QR code of
    its otpauth address drawn in the terminal."""
    from sso.__main__ import _terminal_qr, demo_totp_key
    key = demo_totp_key(tmp_path)
    assert demo_totp_key(tmp_path) == key and re.fullmatch(r"[A-Z2-7]{32}", key)
    assert (tmp_path / "sso-totp.key").stat().st_mode & 0o777 == 0o600
    qr = _terminal_qr(key).splitlines()
    assert len(qr) > 10 and all(len(line) == len(qr[0]) for line in qr if line)
