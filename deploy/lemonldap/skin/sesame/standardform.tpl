<!-- Sésame: the portal's sign-in fields in French whether or not the browser runs JavaScript -->
<TMPL_IF NAME="TOKEN">
<input id="token" type="hidden" name="token" value="<TMPL_VAR NAME="TOKEN">" />
</TMPL_IF>

<TMPL_IF NAME="WAITING_MESSAGE">
<div class="alert alert-info">Veuillez patienter quelques secondes avant de réessayer.</div>
<TMPL_ELSE>
<div class="form">
  <div class="form-group mb-3">
    <label for="userfield">Identifiant</label>
    <input id="userfield" name="user" type="text" class="form-control" value="<TMPL_VAR NAME="LOGIN" ESCAPE=HTML>" autocomplete="username" autocapitalize="none" spellcheck="false" required aria-required="true" <TMPL_UNLESS NAME="LOGIN">autofocus</TMPL_UNLESS> />
  </div>
  <div class="form-group mb-3">
    <label for="passwordfield">Mot de passe</label>
    <input id="passwordfield" name="password" type="password" class="form-control" autocomplete="current-password" required aria-required="true" <TMPL_IF NAME="LOGIN">autofocus</TMPL_IF> />
  </div>

  <TMPL_IF NAME=CAPTCHA_HTML>
    <TMPL_VAR NAME=CAPTCHA_HTML>
  </TMPL_IF>

  <TMPL_INCLUDE NAME="impersonation.tpl">
  <TMPL_INCLUDE NAME="checklogins.tpl">

  <button type="submit" class="btn btn-success" >
    <span class="fa fa-sign-in"></span>
    <span>Se connecter</span>
  </button>
</div>
</TMPL_IF>
