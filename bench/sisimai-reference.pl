#!/usr/bin/perl
# Reference figure for bench:parse: the Perl Sisimai parser (Debian's libsisimai-perl), the
# best-known bounce parser, over the same corpus on the same machine, one core.
# Usage: taskset -c 0 perl bench/sisimai-reference.pl [CORPUS_DIR] [COUNT]
use strict;
use warnings;
use Sisimai;
use Time::HiRes qw(time);

my $dir = shift // '../shared/sisimai/corpus/maildir';
my $count = shift // 5000;
my @files;
for my $sub (glob("$dir/*")) { push @files, glob("$sub/*.eml") if -d $sub; }
die "no .eml files under $dir\n" unless @files;
my @raw = map { local $/; open my $fh, '<', $_ or die "$_: $!"; <$fh> } @files;

my ($done, $recipients) = (0, 0);
my $t0 = time;
OUTER: while (1) {
  for my $m (@raw) {
    my $v = Sisimai->make(\$m) // [];
    $recipients += scalar @$v;
    last OUTER if ++$done >= $count;
  }
}
my $s = time - $t0;
printf "sisimai %s: %d messages, %d recipients, %.2f s, %.0f messages/s\n", $Sisimai::VERSION, $done, $recipients, $s, $done / $s;
