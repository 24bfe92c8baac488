"""The SSO engine's configuration as the project generates it: what it reads is what migration 0023 lets it
read, and a deployment's services file becomes LemonLDAP::NG's keys."""
import json
import re

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
