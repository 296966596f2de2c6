#!/usr/bin/env bash
# The team's verified CI recipe for Dovecot, kept in the repository so the tests need nothing beside it.
# One change: "start" also waits for the pid file. The recipe checked it once, right after the
# port opened, and about one cold start in ten failed (exit 1, empty log) with Dovecot running.
# dovecot-test.sh start|stop|status — throw-away Dovecot IMAP server for tests.
# Loopback only, plain auth, no TLS, passwd-file user, mail + config in a temp dir.
# Idempotent: "start" on a running instance only prints the settings; "stop" when
# stopped is a no-op. Stops by the PID in its own pid file, never by name.
# Env overrides: DOVECOT_TEST_DIR, DOVECOT_TEST_PORT, DOVECOT_TEST_USER, DOVECOT_TEST_PASSWORD
# DOVECOT_TEST_OAUTH2_TOKENINFO_URL (ours): also sign in with XOAUTH2/OAUTHBEARER, each access
# token checked by a GET of this URL + the token (Dovecot's oauth2 passdb), as Gmail checks it.
# Use in CI:  eval "$(bash dovecot-test.sh start | sed 's/^/export /')"  ...  bash dovecot-test.sh stop
# Verified: Debian 12, dovecot 2.3.19.1, as root (mail owned by nobody) and as an unprivileged user.
set -euo pipefail
umask 022                              # mail user (nobody) must traverse $DIR
DIR=${DOVECOT_TEST_DIR:-/tmp/dovecot-test}
PORT=${DOVECOT_TEST_PORT:-10143}
USER_NAME=${DOVECOT_TEST_USER:-support@example.test}
PASSWORD=${DOVECOT_TEST_PASSWORD:-secret}
CONF=$DIR/dovecot.conf
PIDFILE=$DIR/run/master.pid

print_env() {
  echo "IMAP_HOST=127.0.0.1"; echo "IMAP_PORT=$PORT"
  echo "IMAP_USER=$USER_NAME"; echo "IMAP_PASSWORD=$PASSWORD"
  echo "DOVECOT_CONF=$CONF"   # e.g. /usr/lib/dovecot/dovecot-lda -c \$DOVECOT_CONF -d \$IMAP_USER < msg
}
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

install_if_missing() {
  command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ] && return
  [ "$(id -u)" = 0 ] || { echo "dovecot-imapd missing; run as root to install" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null; }
}

write_config() {
  rm -rf "$DIR/mail"                   # fresh start = empty mailbox
  mkdir -p "$DIR/run" "$DIR/mail/$USER_NAME"
  if [ "$(id -u)" = 0 ]; then          # root: stock login/internal users, mail owned by nobody
    MUID=$(id -u nobody); MGID=$(id -g nobody); LOGIN_USER=dovenull; INTERNAL_USER=dovecot; INTERNAL_GROUP=dovecot; CHROOT=login
  else                                 # unprivileged: everything runs as the caller, no chroot
    MUID=$(id -u); MGID=$(id -g); LOGIN_USER=$(id -un); INTERNAL_USER=$(id -un); INTERNAL_GROUP=$(id -gn); CHROOT=
  fi
  chown -R "$MUID:$MGID" "$DIR/mail"
  # user:{scheme}password:uid:gid::home::
  echo "$USER_NAME:{PLAIN}$PASSWORD:$MUID:$MGID::$DIR/mail/$USER_NAME::" > "$DIR/passwd"
  MECHANISMS="plain login"; OAUTH2_PASSDB=""
  if [ -n "${DOVECOT_TEST_OAUTH2_TOKENINFO_URL:-}" ]; then
    MECHANISMS="plain login xoauth2 oauthbearer"
    printf 'tokeninfo_url = %s\nintrospection_mode = auth\nusername_attribute = email\n' \
      "$DOVECOT_TEST_OAUTH2_TOKENINFO_URL" > "$DIR/oauth2.conf"
    # A refused token is answered at once (the default waits 2 s to slow down guessing).
    OAUTH2_PASSDB="auth_failure_delay = 0
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DIR/oauth2.conf
}"
  fi
  cat > "$CONF" <<CONF
instance_name = dovecot-test-$PORT
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = $MECHANISMS
default_login_user = $LOGIN_USER
default_internal_user = $INTERNAL_USER
default_internal_group = $INTERNAL_GROUP
first_valid_uid = 1
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  mailbox Archive {
    auto = create
    special_use = \Archive
  }
  mailbox Trash {
    auto = create
    special_use = \Trash
  }
}
$OAUTH2_PASSDB
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/passwd
}
service imap-login {
  chroot = $CHROOT
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
}

case "${1:-}" in
  start)
    install_if_missing
    if running; then echo "dovecot-test already running (pid $(cat "$PIDFILE"))" >&2; print_env; exit 0; fi
    write_config
    dovecot -c "$CONF"
    # The port opens before the daemon writes its pid file: wait for both (see header).
    for _ in $(seq 50); do running && (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
    running || { cat "$DIR/dovecot.log" >&2; exit 1; }
    print_env ;;
  stop)
    if running; then pid=$(cat "$PIDFILE"); kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi; echo "dovecot-test stopped" ;;
  status) if running; then echo "running pid $(cat "$PIDFILE")"; print_env; else echo stopped; exit 1; fi ;;
  env) print_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
