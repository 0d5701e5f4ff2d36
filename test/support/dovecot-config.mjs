/**
 * dovecot-config - the configuration of a private, throw-away Dovecot on loopback (IMAP on `port`,
 * optional IMAPS on `tlsPort` with dir/cert.pem + key.pem, passwd-file users in dir/users, Maildir
 * under dir/mail). Plain JavaScript so that both test/support/dovecot.ts and bench/imap-backfill.mjs
 * (which runs without a TypeScript step) use the same one.
 * `unprivileged`: the user name every Dovecot service runs as when we are not root.
 */

export function dovecotConfig(dir, port, unprivileged, tlsPort) {
  // Running as a normal user, every Dovecot service must run as that user too.
  const users = unprivileged
    ? `default_login_user = ${unprivileged}\ndefault_internal_user = ${unprivileged}\n`
    : '';
  return `# private Dovecot for rebound tests and bench:imap (test/support/dovecot-config.mjs)
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = rebound-test-${port}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
${users}${
    tlsPort
      ? `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem\nssl_min_protocol = TLSv1.2\n`
      : 'ssl = no\n'
  }disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%u
# Throw-away mail: no fsync (a real server fsyncs; that is its disk's cost, not ours).
mail_fsync = never
first_valid_uid = 1
# A failed login answers at once instead of after Dovecot's anti-brute-force delay.
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort ?? 0}
    ssl = yes
  }
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
}
