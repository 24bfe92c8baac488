# No captcha: the portal loads a captcha module whatever its settings, and Debian's needs Image::Magick.
# Sésame's portal asks none (wrong passwords are counted and locked by the directory's password policy), so
# this module only answers the calls the portal makes while every captcha_*_enabled setting is 0.
package Sesame::LemonLDAP::NoCaptcha;

use strict;
use warnings;
use Mouse;

extends 'Lemonldap::NG::Portal::Main::Plugin';

our $VERSION = '1.0';

sub init         { return 1 }
sub init_captcha { return }
sub check_captcha { return 0 }    # never asked: no form shows a captcha

1;
