# A holder's first sign-in at the SSO asks what Sésame's own first sign-in asks: a password of their own,
# under the same rules as Sésame's page (directory/holders.py, check_rules), and, for a student whose
# birth date the directory knows, that birth date. LemonLDAP::NG shows its password form when the directory
# answers that the password was reset (ppolicy's pwdReset); this plugin checks the new password before the
# engine changes it (as the holder), and refuses the change with the reason, nothing changed, otherwise.
# Each reason has a code of its own, whose French words are in the skin (skin/sesame/fr.json).
package Sesame::LemonLDAP::FirstSignIn;

use strict;
use warnings;
use Encode qw(decode);
use Mouse;
use Lemonldap::NG::Portal::Main::Constants qw(
  PE_OK
  PE_LDAPERROR
  PE_PP_PASSWORD_TOO_SHORT
  PE_PP_PASSWORD_TOO_YOUNG
  PE_PP_INSUFFICIENT_PASSWORD_QUALITY
  PE_PP_PASSWORD_IN_HISTORY
  PE_PP_MUST_SUPPLY_OLD_PASSWORD
);

extends 'Lemonldap::NG::Portal::Main::Plugin';

our $VERSION = '1.0';

# The codes each refusal is shown with (their words: skin/sesame/fr.json)
use constant {
    TOO_SHORT       => PE_PP_PASSWORD_TOO_SHORT,               # fewer characters than the policy's minimum
    INVISIBLE       => PE_PP_PASSWORD_TOO_YOUNG,               # a control, format or private-use character
    NAMES           => PE_PP_INSUFFICIENT_PASSWORD_QUALITY,    # holds the identifier or the surname
    SAME            => PE_PP_PASSWORD_IN_HISTORY,              # the provisional password again
    BIRTH_DATE      => PE_PP_MUST_SUPPLY_OLD_PASSWORD,         # not the birth date the directory knows
};

use constant hook => { passwordBeforeChange => 'checkNewPassword' };

sub init { return 1 }

sub _text {
    my ($value) = @_;
    return '' unless defined $value;
    return $value if utf8::is_utf8($value);
    return decode( 'UTF-8', $value );
}

sub checkNewPassword {
    my ( $self, $req, $user, $password, $old ) = @_;
    my $params = $self->conf->{customPluginsParams} || {};
    my $min    = $params->{sesameMinLength} || 8;
    my $new    = _text($password);
    my $entry  = $req->data->{ldapentry};
    my $dn     = $req->data->{dn} || ( $entry ? $entry->dn : '' );

    return TOO_SHORT if length($new) < $min;
    return INVISIBLE if $new =~ /[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/;
    my $lowered    = lc($new);
    my $identifier = lc( _text( $entry ? $entry->get_value('uid') : $user ) );
    my $surname    = lc( _text( $entry ? $entry->get_value('sn') : '' ) );
    return NAMES
      if ( length($identifier) and index( $lowered, $identifier ) >= 0 )
      or ( length($surname) > 2 and index( $lowered, $surname ) >= 0 );
    return SAME if defined $old and length($old) and $new eq _text($old);
    # the first sign-in only (no session yet): a signed-in holder changing their password is not asked again
    return PE_OK if $req->userData and $req->userData->{_session_id};
    return $self->checkBirthDate( $req, $dn ) if $dn =~ /,ou=students,/i;
    return PE_OK;
}

# The birth date typed (the date field's AAAA-MM-JJ, or JJ/MM/AAAA) against the directory's, by an LDAP
# compare: the engine's identity may compare a birth date, never read it. A student whose birth date the
# directory does not know is not asked (as in Sésame).
sub checkBirthDate {
    my ( $self, $req, $dn ) = @_;
    my $typed = $req->param('naissance') // '';
    $typed =~ s/^\s+|\s+$//g;
    my ( $y, $m, $d );
    if ( $typed =~ /^(\d{4})-(\d{2})-(\d{2})$/ ) { ( $y, $m, $d ) = ( $1, $2, $3 ) }
    elsif ( $typed =~ m{^(\d{1,2})/(\d{1,2})/(\d{4})$} ) {
        ( $y, $m, $d ) = ( $3, sprintf( '%02d', $2 ), sprintf( '%02d', $1 ) );
    }
    my $passwords = $self->p->{_passwordDB};
    $passwords->bind;
    my $ldap = $passwords->ldap or return PE_LDAPERROR;
    my $known = $ldap->compare( $dn, attr => 'sesameBirthDate', value => '19000101000000Z' );
    return PE_OK if $known->code == 16;    # noSuchAttribute: no birth date to confirm
    return BIRTH_DATE unless defined $y;
    my $answer = $ldap->compare( $dn, attr => 'sesameBirthDate', value => "$y$m${d}000000Z" );
    return PE_OK if $answer->code == 6;    # compareTrue
    $self->userLogger->notice("Birth date not confirmed for $dn");
    return BIRTH_DATE;
}

1;
