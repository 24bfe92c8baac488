<TMPL_INCLUDE NAME="header.tpl">
<!-- Sésame: the portal's second factor (TOTP) in French whether or not the browser runs JavaScript -->
<main id="logincontent" class="container">

<div class="message message-positive alert">Saisissez le code à 6 chiffres que montre votre application d'authentification.</div>

<div class="card">

<form action="/totp2fcheck" method="post" class="password" role="form">
  <div class="form">
    <input type="hidden" id="token" name="token" value="<TMPL_VAR NAME="TOKEN">" />
    <input type="hidden" id="checkLogins" name="checkLogins" value="<TMPL_VAR NAME="CHECKLOGINS">" />
    <input type="hidden" id="stayconnected" name="stayconnected" value="<TMPL_VAR NAME="STAYCONNECTED">" />
    <input type="hidden" name="skin" value="<TMPL_VAR NAME="SKIN">" />
    <div class="form-group mb-3">
      <label for="extcode">Code de l'application d'authentification</label>
      <input name="code" value="" type="text" class="form-control" id="extcode" inputmode="numeric" maxlength="10"
             autocomplete="one-time-code" autofocus required />
    </div>
  </div>
  <div class="buttons mb-3">
    <button type="submit" class="btn btn-success">
      <span class="fa fa-sign-in"></span>
      <span>Valider</span>
    </button>
  </div>
  <div class="buttons">
    <a href="<TMPL_VAR NAME="PORTAL_URL">?cancel=1&skin=<TMPL_VAR NAME="SKIN">" class="btn btn-primary" role="button">
      <span class="fa fa-home"></span>
      <span>Annuler</span>
    </a>
  </div>
</form>
</div>
</main>

<TMPL_INCLUDE NAME="footer.tpl">
