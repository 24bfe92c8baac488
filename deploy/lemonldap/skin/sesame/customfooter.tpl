    <!-- Sésame: the portal's footer in French whether or not the browser runs JavaScript (two lines at 360 px) -->
    <p>
      Servi par
      <a href="https://lemonldap-ng.org" target="_blank" rel="noopener" class="btn btn-secondary btn-sm">
        <span class="fa fa-globe"></span>
        LemonLDAP::NG
      </a>,
      logiciel libre sous licence GPL.
    </p>
