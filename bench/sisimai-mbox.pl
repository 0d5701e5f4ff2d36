#!/usr/bin/perl
# Reference figure for bench:backfill: Perl Sisimai (Debian's libsisimai-perl) parsing the same
# messages rebound ingests - the first COUNT messages of a bench/backfill-mbox.mjs mbox, split and
# unquoted here and held in memory, so only Sisimai->make (parse, decode, classify) is timed.
# No store, no state: a parse-only rate, one core.
# Usage: taskset -c 0 perl bench/sisimai-mbox.pl MBOX [COUNT]
use strict;
use warnings;
use Sisimai;
use Time::HiRes qw(time);

my $path = shift or die "usage: $0 MBOX [COUNT]\n";
my $count = shift // 5000;
open my $fh, '<:raw', $path or die "$path: $!";
my (@raw, $cur);
while (my $line = <$fh>) {
  if ($line =~ /^From \S+ .*\d\d:\d\d/ && (!defined $cur || $cur =~ /\n\n\z/)) {
    push @raw, $cur if defined $cur;
    last if @raw >= $count;
    $cur = '';
    next;
  }
  $line =~ s/^>(>*From )/$1/;
  $cur .= $line;
}
push @raw, $cur if defined $cur && @raw < $count;
close $fh;

my ($done, $recipients) = (0, 0);
# Some of Sisimai's decoders warn about headers the fixtures lack; the warnings cost time, not results.
local $SIG{__WARN__} = sub {};
my $t0 = time;
for my $m (@raw) {
  my $v = Sisimai->make(\$m) // [];
  $recipients += scalar @$v;
  $done++;
}
my $s = time - $t0;
printf "sisimai %s: %d messages, %d recipients, %.2f s, %.0f messages/s\n", $Sisimai::VERSION, $done, $recipients, $s, $done / $s;
