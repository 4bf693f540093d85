#!/usr/bin/perl
# make_test_mmdb.pl OUTDIR
#
# Writes two small MaxMind DB files for the unit tests (tests/test_geo.c):
#   OUTDIR/test-country.mmdb  GeoLite2-Country layout (country.iso_code,
#                             registered_country.iso_code, names.en)
#   OUTDIR/test-asn.mmdb      GeoLite2-ASN layout (autonomous_system_number,
#                             autonomous_system_organization)
# The networks are documentation/test ranges (RFC 5737, RFC 3849) plus the
# TeamPCP indicator address, so expected values are fixed and known.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift // die "usage: $0 OUTDIR\n";

my %types = (
    country                        => 'map',
    registered_country             => 'map',
    names                          => 'map',
    en                             => 'utf8_string',
    iso_code                       => 'utf8_string',
    geoname_id                     => 'uint32',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);

sub new_tree {
    my ($type) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version               => 6,
        record_size              => 24,
        database_type            => $type,
        languages                => ['en'],
        description              => { en => "exfilmon test $type" },
        map_key_type_callback    => sub { $types{ $_[0] } },
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => 1,
    );
}

sub write_db {
    my ($tree, $path) = @_;
    open my $fh, '>:raw', "$path.tmp" or die "$path.tmp: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$path.tmp: $!\n";
    rename "$path.tmp", $path or die "$path: $!\n";
}

sub country {
    my ($cc, $name) = @_;
    return { country => { iso_code => $cc, names => { en => $name } },
             registered_country => { iso_code => $cc } };
}

my $c = new_tree('GeoLite2-Country');
$c->insert_network('::192.0.2.0/120',     country('DE', 'Germany'));
$c->insert_network('::198.51.100.0/120',  country('US', 'United States'));
$c->insert_network('::203.0.113.0/121',   country('JP', 'Japan'));
$c->insert_network('::83.142.209.0/120',  country('NL', 'Netherlands'));
$c->insert_network('2001:db8::/48',       country('FR', 'France'));
$c->insert_network('2001:db8:1::/48',     country('SE', 'Sweden'));
# registered_country only: lookups fall back to it
$c->insert_network('::203.0.113.128/121', { registered_country => { iso_code => 'KR' } });
write_db($c, "$dir/test-country.mmdb");

my $a = new_tree('GeoLite2-ASN');
$a->insert_network('::192.0.2.0/120',    { autonomous_system_number => 64496, autonomous_system_organization => 'Example Transit GmbH' });
$a->insert_network('::198.51.100.0/121', { autonomous_system_number => 64500, autonomous_system_organization => 'Doc Cloud Inc.' });
$a->insert_network('::83.142.209.0/120', { autonomous_system_number => 64511, autonomous_system_organization => 'Bulletproof Hosting B.V.' });
$a->insert_network('2001:db8::/32',      { autonomous_system_number => 64499, autonomous_system_organization => 'IPv6 Documentation AS' });
write_db($a, "$dir/test-asn.mmdb");
print "wrote $dir/test-country.mmdb $dir/test-asn.mmdb\n";
