# OpenID Connect back-channel logout (OpenID Connect Back-Channel Logout 1.0), which LemonLDAP::NG 2.16 does
# not send: its own logout leaves `oidcRPMetaDataOptionsLogoutType: back` aside. When a session ends at the
# engine (its logout, or a service's RP-initiated logout), each service the session signed in to that declares
# `back` and a logout URL is posted a logout token: a JWT signed with the engine's OpenID Connect key (the ID
# tokens' own), naming the engine as issuer, the service's client id as audience, the person as the service
# knows them (`sub`), a `jti` never used again, and the back-channel logout event. The service ends that
# person's sessions (Sésame: webapp/auth/provider_logout.py). A service that does not answer delays the logout
# by at most the timeout; the logout itself always goes on.
package Sesame::LemonLDAP::BackChannelLogout;

use strict;
use warnings;
use Mouse;
use Crypt::URandom;
use LWP::UserAgent;
use MIME::Base64 qw(encode_base64url);
use Lemonldap::NG::Portal::Main::Constants qw(PE_OK);

extends 'Lemonldap::NG::Portal::Main::Plugin';

our $VERSION = '1.0';

use constant EVENT         => 'http://schemas.openid.net/event/backchannel-logout';
use constant LIFETIME      => 120;                # seconds a logout token is good for
use constant beforeLogout  => 'notifyServices';

has ua => (
    is      => 'rw',
    lazy    => 1,
    default => sub {
        LWP::UserAgent->new( timeout => 5, max_redirect => 0, agent => 'LemonLDAP::NG back-channel logout' );
    }
);

sub init { return 1 }

sub notifyServices {
    my ( $self, $req ) = @_;
    my $oidc = $self->p->loadedModules->{'Lemonldap::NG::Portal::Issuer::OpenIDConnect'} or return PE_OK;
    # the session as stored, not as this process may hold it in its cache: the token endpoint (another process,
    # maybe) recorded there the services it signed in to
    my $stored  = $req->id ? $self->p->getApacheSession( $req->id ) : undef;
    my $session = $stored ? $stored->data : ( $req->userData || {} );
    my %seen;
    foreach my $rp ( grep { /\w/ and !$seen{$_}++ } split( /,/, $session->{_oidcConnectedRP} || '' ) ) {
        my $options = $self->conf->{oidcRPMetaDataOptions}->{$rp} or next;
        next unless ( $options->{oidcRPMetaDataOptionsLogoutType} || '' ) eq 'back';
        my $url = $options->{oidcRPMetaDataOptionsLogoutUrl} or next;
        my $now = time;
        my $token = $oidc->createJWT( {
                iss    => $oidc->iss,
                aud    => $options->{oidcRPMetaDataOptionsClientID},
                sub    => $oidc->getUserIDForRP( $req, $rp, $session ),
                iat    => $now,
                exp    => $now + LIFETIME,
                jti    => encode_base64url( Crypt::URandom::urandom(16) ),
                events => { EVENT() => {} },
            },
            $options->{oidcRPMetaDataOptionsIDTokenSignAlg} || 'RS256', $rp, 'logout+jwt'
        );
        my $answer = $self->ua->post( $url, { logout_token => $token } );
        if ( $answer->is_success ) {
            $self->logger->info("Back-channel logout: $rp ended the session");
        }
        else {
            $self->logger->warn( "Back-channel logout: $rp answered " . $answer->status_line );
        }
    }
    return PE_OK;
}

1;
