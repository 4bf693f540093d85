#!/usr/bin/perl
# build_geoip_mmdb.pl OUT.mmdb [GEOIP4 [GEOIP6]]
#
# Converts Debian's tor-geoipdb country ranges (/usr/share/tor/geoip and
# /usr/share/tor/geoip6) into a MaxMind DB with the GeoLite2-Country
# layout ({"country": {"iso_code": "DE"}}), so analysis/geo.c reads it
# with the same code as GeoLite2/DB-IP country databases.
#
# Input lines: IPv4 "FIRST,LAST,CC" with FIRST/LAST as 32-bit integers;
# IPv6 "FIRST,LAST,CC" with textual addresses.  "??" (unknown) is skipped.
# Ranges go through MaxMind::DB::Writer::Tree::insert_range, which splits
# a range into the minimal set of CIDR networks itself.
#
# Data source and licence: see docs/geoip.md (IPFire Location database,
# CC BY-SA 4.0, as converted by Tor's geoip-db-tool).
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $v4, $v6) = @ARGV;
die "usage: $0 OUT.mmdb [GEOIP4 [GEOIP6]]\n" unless defined $out;
$v4 //= '/usr/share/tor/geoip';
$v6 //= '/usr/share/tor/geoip6';

my %types = (country => 'map', iso_code => 'utf8_string');

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'exfilmon-Country',
    languages                => ['en'],
    description              => { en => 'exfilmon country database built from tor-geoipdb (IPFire Location, CC BY-SA 4.0)' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    remove_reserved_networks => 1,
    alias_ipv6_to_ipv4       => 1,
);

my %data;    # one shared hash per country keeps the data section small

sub cc_data {
    my ($cc) = @_;
    return $data{$cc} //= { country => { iso_code => $cc } };
}

sub int_to_v4 {
    my ($n) = @_;
    return join '.', ($n >> 24) & 255, ($n >> 16) & 255, ($n >> 8) & 255, $n & 255;
}

# Reserved/special ranges the writer refuses are skipped, not fatal.
sub insert {
    my ($first, $last, $cc, $where) = @_;
    return 0 if $cc eq '??' || $cc !~ /^[A-Z]{2}$/;
    my $ok = eval { $tree->insert_range($first, $last, cc_data($cc)); 1 };
    return $ok ? 1 : 0;
}

sub load {
    my ($path, $is_v4) = @_;
    open my $fh, '<', $path or die "$path: $!\n";
    my ($n, $skipped) = (0, 0);
    while (my $line = <$fh>) {
        next if $line =~ /^\s*(#|$)/;
        chomp $line;
        my ($first, $last, $cc) = split /,/, $line;
        unless (defined $cc) {
            die "$path:$.: malformed line\n";
        }
        if ($is_v4) {
            $first = '::' . int_to_v4($first);
            $last  = '::' . int_to_v4($last);
        }
        if (insert($first, $last, $cc, "$path:$.")) { $n++ } else { $skipped++ }
    }
    close $fh;
    return ($n, $skipped);
}

my ($n4, $s4) = load($v4, 1);
my ($n6, $s6) = load($v6, 0);
open my $ofh, '>:raw', "$out.tmp" or die "$out.tmp: $!\n";
$tree->write_tree($ofh);
close $ofh or die "$out.tmp: $!\n";
rename "$out.tmp", $out or die "$out: $!\n";
print "wrote $out: $n4 IPv4 + $n6 IPv6 ranges ($s4 + $s6 skipped)\n";
