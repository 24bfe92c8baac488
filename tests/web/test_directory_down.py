"""With slapd stopped the app answers a French 503 page, and recovers by itself when it is back."""
from support import sign_in


def test_503_while_the_directory_is_down_then_recovery(app, signed_in, slapd):
    client = signed_in("chef.lp")
    slapd.stop()
    try:
        response = client.get("/")
        html = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "Service momentanément indisponible" in html
        assert "Traceback" not in html
        newcomer = app.test_client()
        assert newcomer.get("/connexion").status_code == 200        # the form needs no directory
        refused = sign_in(newcomer, "chef.lp")
        assert refused.status_code == 503                         # not "wrong password"
        assert "Identifiant ou mot de passe incorrect" not in refused.get_data(as_text=True)
    finally:
        slapd.start()
    assert client.get("/").status_code == 200
