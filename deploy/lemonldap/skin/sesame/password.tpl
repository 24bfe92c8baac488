<!-- Sésame: the form of a holder's first password (and of a change), with the rules of Sésame's own page -->
<form id="formpass" action="#" method="post" class="password" role="form">
 <div class="form">
  <TMPL_VAR NAME="HIDDEN_INPUTS">
  <TMPL_IF NAME="CHOICE_VALUE"><input type="hidden" name="<TMPL_VAR NAME="CHOICE_PARAM">" value="<TMPL_VAR NAME="CHOICE_VALUE">" /></TMPL_IF>
  <TMPL_IF NAME="AUTH_URL"><input type="hidden" name="url" value="<TMPL_VAR NAME="AUTH_URL">" /></TMPL_IF>
  <input type="hidden" name="skin" value="<TMPL_VAR NAME="SKIN">" />
  <TMPL_IF NAME="TOKEN"><input type="hidden" name="token" value="<TMPL_VAR NAME="TOKEN">" /></TMPL_IF>
  <TMPL_IF NAME="LOGIN">
   <input name="user" type="hidden" value="<TMPL_VAR NAME=LOGIN ESCAPE=HTML>" />
   <p class="mb-2">Identifiant : <strong><TMPL_VAR NAME=LOGIN ESCAPE=HTML></strong></p>
  </TMPL_IF>
  <TMPL_IF NAME="REQUIRE_OLDPASSWORD">
   <TMPL_IF NAME="HIDE_OLDPASSWORD">
    <input id="oldpassword" name="oldpassword" type="hidden" value="<TMPL_VAR NAME=OLDPASSWORD ESCAPE=HTML>" />
   <TMPL_ELSE>
    <div class="form-group">
     <label for="oldpassword">Mot de passe actuel</label>
     <input id="oldpassword" name="oldpassword" type="password" class="form-control" value="<TMPL_VAR NAME=OLDPASSWORD ESCAPE=HTML>" required autocomplete="current-password" />
    </div>
   </TMPL_IF>
  </TMPL_IF>
  <p class="mb-1">Votre mot de passe doit :</p>
  <ul class="mb-3">
   <li>contenir au moins 8 caractères</li>
   <li>ne contenir ni votre identifiant, ni votre nom</li>
   <li>être différent du mot de passe provisoire</li>
  </ul>
  <div class="form-group">
   <label for="newpassword">Nouveau mot de passe</label>
   <input id="newpassword" name="newpassword" type="password" class="form-control" required autocomplete="new-password" />
  </div>
  <div class="form-group">
   <label for="confirmpassword">Confirmez le nouveau mot de passe</label>
   <input id="confirmpassword" name="confirmpassword" type="password" class="form-control" required autocomplete="new-password" />
  </div>
  <TMPL_IF NAME="HIDE_OLDPASSWORD">
  <div class="form-group">
   <label for="naissance">Date de naissance (élèves)</label>
   <input id="naissance" name="naissance" type="date" class="form-control" aria-describedby="naissance-aide" />
   <small id="naissance-aide" class="form-text">Pour vérifier qu'il s'agit bien de votre compte, un élève indique sa date de naissance. Un parent laisse ce champ vide.</small>
  </div>
  </TMPL_IF>
  <div class="buttons">
   <button type="submit" class="btn btn-success">Enregistrer mon mot de passe</button>
  </div>
 </div>
</form>
