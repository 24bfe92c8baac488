<TMPL_INCLUDE NAME="header.tpl">
<!-- Sésame: the portal's refusals in French whether or not the browser runs JavaScript. Its scripts put the
     precise message in place (trmsg); without them, a sentence that fits every refusal says what to do. -->
<div id="errorcontent" class="container">
  <TMPL_IF AUTH_ERROR>
    <div class="message message-<TMPL_VAR NAME="AUTH_ERROR_TYPE"> alert" role="<TMPL_VAR NAME="AUTH_ERROR_ROLE">"><span trmsg="<TMPL_VAR NAME="AUTH_ERROR">"></span>
      <noscript>Le portail n'a pas accepté ce qui a été saisi (identifiant, mot de passe ou code), ou la page était
        trop ancienne. Recommencez depuis le début.</noscript>
      <TMPL_IF LOCKTIME>
        <TMPL_VAR NAME="LOCKTIME"> <span trspan="seconds">secondes</span>.
      </TMPL_IF>
    </div>
  </TMPL_IF>
  <TMPL_IF RAW_ERROR>
    <div class="message message-<TMPL_VAR NAME="AUTH_ERROR_TYPE"> alert" role="<TMPL_VAR NAME="AUTH_ERROR_ROLE">"><span trspan="<TMPL_VAR NAME="RAW_ERROR">"></span>
      <noscript>Le portail n'a pas accepté ce qui a été saisi, ou la page était trop ancienne. Recommencez depuis le début.</noscript></div>
  </TMPL_IF>
  <TMPL_IF ERROR403>
    <div class="message message-negative alert"><span>Vous n'avez pas accès à cette application.</span></div>
  </TMPL_IF>
  <TMPL_IF ERROR404>
    <div class="message message-negative alert"><span>Page introuvable.</span></div>
  </TMPL_IF>
  <TMPL_IF ERROR500>
    <div class="message message-negative alert"><span>Le portail a rencontré une erreur : réessayez dans quelques instants.</span></div>
  </TMPL_IF>
  <TMPL_IF ERROR502>
    <div class="message message-negative alert"><span>L'application ne répond pas : réessayez dans quelques instants.</span></div>
  </TMPL_IF>
  <TMPL_IF ERROR503>
    <div class="message message-warning alert"><span>Le portail est en maintenance : réessayez plus tard.</span></div>
  </TMPL_IF>
  <div id="error">
    <TMPL_IF URL>
      <div class="message message-warning alert">
        <span>Vous veniez de</span> <a href="<TMPL_VAR NAME="URL">"><TMPL_VAR NAME="URL"></a>
      </div>
    </TMPL_IF>
    <div class="buttons">
      <a href="<TMPL_VAR NAME="PORTAL_URL">?cancel=1&skin=<TMPL_VAR NAME="SKIN"><TMPL_IF NAME="AUTH_URL">&url=<TMPL_VAR NAME="AUTH_URL"></TMPL_IF>" class="btn btn-primary" role="button">
        <span class="fa fa-home"></span>
        <span>Recommencer</span>
      </a>
      <TMPL_IF NAME="LOGOUT_URL">
        <a href="<TMPL_VAR NAME="LOGOUT_URL">" class="btn btn-danger" role="button">
          <span class="fa fa-sign-out"></span>
          <span>Se déconnecter</span>
        </a>
      </TMPL_IF>
    </div>
  </div>
</div>
<TMPL_INCLUDE NAME="footer.tpl">
