#!/usr/bin/env python3
"""Capture real IMAP traffic between real clients and a real Dovecot.

Starts a throwaway Dovecot on 127.0.0.1, puts a recording TCP proxy in front
of it, drives real clients (Python imaplib, curl, mbsync) through the proxy
and writes every byte of each connection, exactly as sent, to
<out>/<scenario>.c2s (client to server) and <out>/<scenario>.s2c (server to
client).  Nothing is ever sent anywhere but 127.0.0.1.

Needs root (Dovecot switches to the mail user), /usr/sbin/dovecot (2.3),
curl and mbsync (Debian package isync).  Python 3 standard library only.

    sudo python3 imap-proto/tests/traffic/capture.py            # all scenarios
    sudo python3 imap-proto/tests/traffic/capture.py --list
    sudo python3 imap-proto/tests/traffic/capture.py --scenario curl-list
    sudo python3 imap-proto/tests/traffic/capture.py --out /tmp/caps --keep

See README.md next to this file.
"""

import argparse
import base64
import imaplib
import os
import pwd
import re
import grp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# <repo>/imap-proto/tests/traffic/capture.py -> <repo>
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "imap-proto", "tests", "vectors", "traffic")

LOOPBACK = "127.0.0.1"
CRLF = b"\r\n"


class CaptureError(Exception):
    pass


def log(msg):
    print("capture: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Test messages (CRLF line endings, a few KiB at most)
# ---------------------------------------------------------------------------

def crlf(text):
    """Normalise a Python text block to CRLF bytes."""
    lines = text.split("\n")
    return "\r\n".join(lines).encode("utf-8")


MSG_PLAIN = crlf("""\
Return-Path: <ann@example.org>
Date: Mon, 7 Feb 1994 21:52:25 -0800
From: Ann Example <ann@example.org>
Sender: "Ann's Assistant" <assistant@example.org>
Reply-To: ann+replies@example.org
To: "Smith, Bob" <bob@example.net>, carol@example.net
Cc: undisclosed-recipients:;
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the meeting
Message-ID: <meeting-1@example.org>
X-Priority: 3
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hello Bob,

here are the notes from the meeting. Gr\u00fc\u00dfe!

-- 
Ann
""")

MSG_REPLY = crlf("""\
Date: Tue, 8 Feb 1994 09:10:00 +0100
From: "Smith, Bob" <bob@example.net>
To: Ann Example <ann@example.org>
Subject: Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the meeting
Message-ID: <reply-1@example.net>
In-Reply-To: <meeting-1@example.org>
References: <meeting-1@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii; format=flowed

Thanks Ann, see you on Friday.

> here are the notes from the meeting.
""")

_PDF = base64.encodebytes(
    b"%PDF-1.4\n" + bytes(range(256)) + b"\x00\x00binary\x00tail\n%%EOF\n"
).decode("ascii")
_ICS = base64.encodebytes(
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
).decode("ascii")

MSG_MULTIPART = crlf("""\
Date: Wed, 9 Feb 1994 12:00:00 +0000
From: Carol <carol@example.net>
To: Ann Example <ann@example.org>
Cc: "Smith, Bob" <bob@example.net>
Bcc: audit@example.com
Subject: Quarterly report (with attachment)
Message-ID: <report-2@example.net>
In-Reply-To: <reply-1@example.net>
References: <meeting-1@example.org> <reply-1@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-boundary"
Content-Language: en

This is a multi-part message in MIME format.

--outer-boundary
Content-Type: multipart/alternative; boundary="inner-boundary"

--inner-boundary
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The report is attached. Caf=C3=A9 at 10.

--inner-boundary
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable
Content-ID: <html-part@example.net>

<html><body><p>The report is <b>attached</b>. Caf=C3=A9 at 10.</p></body></=
html>

--inner-boundary--

--outer-boundary
Content-Type: application/pdf; name="report Q1.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="report Q1.pdf"; size=300
Content-Description: The Q1 report
Content-Language: en, de
Content-Location: http://example.net/report.pdf

""" + _PDF + """
--outer-boundary
Content-Type: text/calendar; charset=utf-8; method=REQUEST
Content-Transfer-Encoding: base64
Content-Disposition: inline

""" + _ICS + """
--outer-boundary--
""")

MSG_FORWARD = crlf("""\
Date: Thu, 10 Feb 1994 08:30:00 -0500
From: Dave <dave@example.com>
To: ann@example.org
Subject: Fwd: Quarterly report
Message-ID: <fwd-3@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=fwd

--fwd
Content-Type: text/plain

See below.

--fwd
Content-Type: message/rfc822
Content-Disposition: inline

Date: Wed, 9 Feb 1994 12:00:00 +0000
From: Carol <carol@example.net>
To: Dave <dave@example.com>
Subject: Quarterly report
Message-ID: <inner-4@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Numbers are up.

--fwd--
""")


def big_message(n=1):
    body = "".join(
        "Line %04d of a larger message, padding the body for SEARCH LARGER.\n" % i
        for i in range(60)
    )
    return crlf("""\
Date: Fri, 11 Feb 1994 17:45:00 +0200
From: Eve <eve@example.com>
To: Ann Example <ann@example.org>
Subject: A larger message %d
Message-ID: <big-%d@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

""" % (n, n) + body)


def small_message(subject, msgid, date="Sat, 12 Feb 1994 10:00:00 +0000"):
    return crlf("""\
Date: %s
From: Frank <frank@example.com>
To: Ann Example <ann@example.org>
Subject: %s
Message-ID: <%s>

Short body for %s.
""" % (date, subject, msgid, subject))


# A message whose body is Content-Transfer-Encoding: binary, with NULs, for
# APPEND with a literal8 (~{N}) and FETCH BINARY.
MSG_BINARY = (
    crlf("""\
Date: Sun, 13 Feb 1994 11:11:11 +0000
From: Grace <grace@example.com>
To: Ann Example <ann@example.org>
Subject: binary content
Message-ID: <binary-5@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

text part
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: binary

""")
    + b"\x00\x01\x02binary\x00bytes\xff\xfe"
    + CRLF
    + crlf("""\
--b--
""")
)

INTERNAL_DATES = [
    '"07-Feb-1994 21:52:25 -0800"',
    '"08-Feb-1994 09:10:00 +0100"',
    '"09-Feb-1994 12:00:00 +0000"',
    '"10-Feb-1994 08:30:00 -0500"',
    '"11-Feb-1994 17:45:00 +0200"',
]

SEED = [
    (r"(\Seen)", INTERNAL_DATES[0], MSG_PLAIN),
    (r"(\Seen \Answered)", INTERNAL_DATES[1], MSG_REPLY),
    (r"(\Flagged $Important)", INTERNAL_DATES[2], MSG_MULTIPART),
    ("()", INTERNAL_DATES[3], MSG_FORWARD),
    (r"(\Draft)", INTERNAL_DATES[4], big_message(1)),
]

# One user per scenario group, so every scenario starts from a known state
# whether it runs alone (--scenario) or in the full run.
USERS = {
    "alice": 'pa ss"word\\1',  # needs quoting (and escaping) in LOGIN
    "bob": "secret",
    "carol": "secret",
    "dave": "secret",
}


# ---------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


DOVECOT_CONF = """\
# Throwaway Dovecot configuration written by capture.py.
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
debug_log_path = {d}/dovecot.log
# Plaintext on purpose: the capture must see every byte.  No STARTTLS is
# offered because there is no TLS at all; COMPRESS is not offered because
# the imap_zlib plugin is not loaded.
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
# Fast IDLE/NOTIFY notifications (inotify also works; this is the fallback).
mailbox_idle_check_interval = 1 secs
imap_idle_notify_interval = 1 secs
# quota -> QUOTA, acl -> ACL and RIGHTS=texk
mail_plugins = quota acl
# METADATA
imap_metadata = yes
mail_attribute_dict = file:%h/dovecot-attributes
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = no
  }}
  mailbox "All Mail" {{
    special_use = \\All
    auto = no
  }}
}}
plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=100M:messages=10000
  quota_rule2 = Trash:storage=+10M
  acl = vfile
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota imap_acl
  mail_max_userip_connections = 50
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    def __init__(self, scratch, binary):
        self.scratch = scratch
        self.binary = binary
        self.port = free_port()
        self.proc = None
        self.conf = os.path.join(scratch, "dovecot.conf")
        self.log_path = os.path.join(scratch, "dovecot.log")

    def write_config(self):
        d = self.scratch
        try:
            uid = pwd.getpwnam("nobody").pw_uid
        except KeyError:
            raise CaptureError("no user 'nobody' on this machine")
        gid = None
        for g in ("nogroup", "nobody"):
            try:
                gid = grp.getgrnam(g).gr_gid
                break
            except KeyError:
                pass
        if gid is None:
            raise CaptureError("no group 'nogroup' or 'nobody' on this machine")
        os.makedirs(os.path.join(d, "home"))
        for user in USERS:
            os.makedirs(os.path.join(d, "home", user))
        for root, dirs, _ in os.walk(os.path.join(d, "home")):
            os.chown(root, uid, gid)
            for x in dirs:
                os.chown(os.path.join(root, x), uid, gid)
        with open(os.path.join(d, "passwd"), "w") as f:
            for user, pw in USERS.items():
                f.write("%s:{PLAIN}%s\n" % (user, pw))
        with open(self.conf, "w") as f:
            f.write(DOVECOT_CONF.format(d=d, uid=uid, gid=gid, port=self.port))

    def start(self):
        self.write_config()
        self.proc = subprocess.Popen(
            [self.binary, "-c", self.conf, "-F"],
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.scratch, "dovecot.stderr"), "wb"),
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise CaptureError(
                    "dovecot exited with status %s during start-up" % self.proc.returncode
                )
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=2) as s:
                    s.settimeout(5)
                    if s.recv(1024).startswith(b"* OK"):
                        log("dovecot listening on %s:%d" % (LOOPBACK, self.port))
                        return
            except OSError:
                time.sleep(0.1)
        raise CaptureError("dovecot did not start listening on port %d" % self.port)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log("dovecot master did not exit after SIGTERM; sending SIGKILL")
            self.proc.kill()
            self.proc.wait()

    def dump_log(self):
        for name in ("dovecot.log", "dovecot.stderr"):
            path = os.path.join(self.scratch, name)
            if os.path.exists(path):
                log("---- %s ----" % path)
                with open(path, "r", errors="replace") as f:
                    sys.stderr.write(f.read()[-8000:])


# ---------------------------------------------------------------------------
# Recording proxy
# ---------------------------------------------------------------------------

class RecordingProxy:
    """Listens on 127.0.0.1:<port>; every accepted connection is relayed to
    Dovecot and both directions are appended, byte for byte, to the files of
    the current scenario.  Connections are expected one per scenario; any
    further connection of the same scenario gets files <name>.<n>.c2s/.s2c."""

    def __init__(self, upstream_port, out_dir):
        self.upstream_port = upstream_port
        self.out_dir = out_dir
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.scenario = None
        self.conn_count = 0
        self.threads = []
        self.files = []
        self.closed = False
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.acceptor.start()

    def begin(self, scenario):
        with self.lock:
            self.scenario = scenario
            self.conn_count = 0
            self.threads = []
            self.files = []
            for ext in ("c2s", "s2c"):
                for f in os.listdir(self.out_dir):
                    if re.fullmatch(re.escape(scenario) + r"(\.\d+)?\." + ext, f):
                        os.unlink(os.path.join(self.out_dir, f))

    def end(self, timeout=15):
        """Wait for every connection of the scenario to be closed by both sides."""
        with self.lock:
            threads = list(self.threads)
            name = self.scenario
            self.scenario = None
        deadline = time.time() + timeout
        for t in threads:
            t.join(max(0.1, deadline - time.time()))
        alive = [t for t in threads if t.is_alive()]
        if alive:
            raise CaptureError("%s: %d proxied connection(s) still open" % (name, len(alive)))
        return list(self.files)

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                name = self.scenario
                if name is None:
                    log("proxy: connection outside a scenario, refused")
                    client.close()
                    continue
                self.conn_count += 1
                base = name if self.conn_count == 1 else "%s.%d" % (name, self.conn_count)
                c2s = os.path.join(self.out_dir, base + ".c2s")
                s2c = os.path.join(self.out_dir, base + ".s2c")
                self.files += [c2s, s2c]
                t = threading.Thread(target=self._session, args=(client, c2s, s2c), daemon=True)
                self.threads.append(t)
            t.start()

    def _session(self, client, c2s_path, s2c_path):
        try:
            server = socket.create_connection((LOOPBACK, self.upstream_port))
        except OSError as e:
            log("proxy: cannot reach dovecot: %s" % e)
            client.close()
            return
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with open(c2s_path, "wb") as fc, open(s2c_path, "wb") as fs:
            a = threading.Thread(target=self._pump, args=(client, server, fc))
            b = threading.Thread(target=self._pump, args=(server, client, fs))
            a.start()
            b.start()
            a.join()
            b.join()
        client.close()
        server.close()

    @staticmethod
    def _pump(src, dst, record):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            record.write(data)
            record.flush()
            try:
                dst.sendall(data)
            except OSError:
                # The other side is gone; keep draining this side so the
                # record stays complete.
                pass


# ---------------------------------------------------------------------------
# imaplib helpers
# ---------------------------------------------------------------------------

EXTRA_COMMANDS = [
    "ID", "IDLE", "GETMETADATA", "SETMETADATA", "NOTIFY", "LISTRIGHTS",
    "CANCELUPDATE", "MOVE", "UNSELECT", "ENABLE", "XBOGUS",
]
for _c in EXTRA_COMMANDS:
    imaplib.Commands.setdefault(_c, ())
# imaplib refuses commands it thinks are illegal in the current state; the
# scenarios send some of them on purpose (and track SELECT themselves), so
# let every command through and let Dovecot judge.
for _c in imaplib.Commands:
    imaplib.Commands[_c] = ("NONAUTH", "AUTH", "SELECTED", "LOGOUT")


class Session:
    """An imaplib connection plus a journal of what each command returned."""

    def __init__(self, port, journal):
        self.m = imaplib.IMAP4(LOOPBACK, port)
        self.m.sock.settimeout(30)
        self.journal = journal

    def _note(self, what, typ, data):
        self.journal.append((what, typ))
        if typ not in ("OK", "expected-BAD", "expected-NO"):
            log("  %-60s -> %s %s" % (what[:60], typ, str(data)[:200]))

    def _fresh(self):
        # Forget old untagged data (a stale READ-ONLY would make imaplib
        # refuse the next command).
        if self.m.state != "LOGOUT":
            self.m.untagged_responses = {}

    def call(self, method, *args, expect="OK", **kw):
        what = "%s %s" % (method, " ".join(str(a) for a in args))
        self._fresh()
        try:
            typ, data = getattr(self.m, method)(*args, **kw)
        except self.m.abort:
            raise
        except self.m.error as e:
            typ, data = ("BAD" if "BAD" in str(e) else "NO"), str(e)
        if typ != "OK" and expect == typ:
            typ = "expected-" + typ
        if method == "logout" and typ == "BYE":
            typ = "OK"
        self._note(what, typ, data)
        return typ, data

    def cmd(self, name, *args, expect="OK"):
        """A command imaplib has no method for, arguments sent as given."""
        return self.call("_simple_command", name, *args, expect=expect)

    def raw(self, name, line, expect="OK"):
        """Send <tag> <line> verbatim (line may hold LITERAL+ literals and
        CRLFs) and wait for the tagged completion."""
        m = self.m
        self._fresh()
        tag = m._new_tag()
        self.last_tag = tag
        if isinstance(line, str):
            line = line.encode("utf-8")
        m.send(tag + b" " + line + CRLF)
        try:
            typ, data = m._command_complete(name, tag)
        except m.abort:
            raise
        except m.error as e:
            typ, data = ("BAD" if "BAD" in str(e) else "NO"), str(e)
        if typ != "OK" and expect == typ:
            typ = "expected-" + typ
        self._note("raw %s" % line[:50], typ, data)
        return typ, data

    def untagged(self, name):
        return self.m.untagged_responses.get(name, [])


def direct_session(port, user):
    """An unrecorded connection straight to Dovecot (set-up, triggers)."""
    m = imaplib.IMAP4(LOOPBACK, port)
    m.sock.settimeout(30)
    m.login(user, USERS[user])
    return m


def seed(port, user, folders=()):
    """Unrecorded: put the standard messages into INBOX (and copies into
    folders) unless INBOX already holds messages."""
    m = direct_session(port, user)
    typ, data = m.select("INBOX")
    if int(data[0]) == 0:
        for flags, date, msg in SEED:
            typ, data = m.append("INBOX", flags, date, msg)
            if typ != "OK":
                raise CaptureError("seeding %s failed: %s" % (user, data))
    for folder in folders:
        m.create(quoted(folder))
        m.subscribe(quoted(folder))
        m.copy("1:3", quoted(folder))
    m.logout()


def quoted(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mutf7(name):
    """RFC 3501 modified UTF-7 (imaplib does not encode mailbox names)."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


ENTWUERFE = mutf7("Entw\u00fcrfe")              # Entw&APw-rfe
QUOTED_BOX = 'My "quoted" folder'
NESTED_BOX = "Projekte/\u65e5\u672c/Q&A"         # & -> &- ; CJK -> base64


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------

def scenario_imaplib_basic(ctx):
    s = Session(ctx.proxy.port, ctx.journal)
    s.call("capability")
    s.call("login", "alice", USERS["alice"])
    s.call("capability")
    s.call("list")
    s.call("list", '""', "%")
    s.call("create", quoted(ENTWUERFE))
    s.call("create", quoted(QUOTED_BOX))
    s.call("create", quoted(mutf7(NESTED_BOX)))
    s.call("create", "Archive")
    s.call("create", "Archive/2023")
    s.call("create", "INBOX", expect="NO")          # already exists -> NO
    s.call("list", '""', "*")
    s.call("list", '""', quoted("Entw&APw-*"))
    for flags, date, msg in SEED:
        s.call("append", "INBOX", flags, date, msg)
    s.call("append", quoted(QUOTED_BOX), None, None, small_message("plain append", "pa-1@x"))
    s.call("append", quoted(ENTWUERFE), r"(\Draft \Seen)",
           imaplib.Time2Internaldate(time.mktime((2024, 1, 2, 3, 4, 5, 0, 0, -1))),
           small_message("Entwurf", "draft-1@x"))
    s.call("append", "Nonexistent", None, None, small_message("x", "x@x"), expect="NO")
    s.call("status", "INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    s.call("status", quoted(ENTWUERFE), "(MESSAGES UNSEEN)")
    s.call("select", "INBOX", readonly=True)         # EXAMINE
    s.call("fetch", "1:*", "(FLAGS UID)")
    s.call("select", "INBOX")
    s.call("fetch", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")
    s.call("fetch", "1:5", "BODYSTRUCTURE")
    s.call("fetch", "3", "BODY")
    s.call("fetch", "1,3", "(BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])")
    s.call("fetch", "2", "(BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED REFERENCES)])")
    s.call("fetch", "3", "(BODY[1.MIME] BODY[1.1] BODY[2.MIME])")
    s.call("fetch", "4", "(BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1])")
    s.call("fetch", "1", "(BODY[]<0.100>)")
    s.call("fetch", "2", "(BODY.PEEK[TEXT]<10.20> RFC822.HEADER)")
    s.call("fetch", "4", "(RFC822)")
    s.call("fetch", "5", "(RFC822.TEXT)")
    s.call("fetch", "1:2", "ALL")
    s.call("fetch", "1:2", "FAST")
    s.call("fetch", "1:2", "FULL")
    s.call("fetch", "*", "(UID RFC822.SIZE)")
    s.call("uid", "FETCH", "1:*", "(FLAGS)")
    s.call("store", "1", "+FLAGS", r"(\Flagged $Label1 Project-X)")
    s.call("store", "2:3", "-FLAGS", r"(\Seen)")
    s.call("store", "4", "FLAGS.SILENT", r"(\Seen \Answered $Forwarded)")
    s.call("store", "5", "+FLAGS.SILENT", r"(\Deleted)")
    s.call("uid", "STORE", "1:2", "FLAGS", r"(\Seen NonJunk)")
    s.call("fetch", "1:*", "FLAGS")
    s.call("search", None, "ALL")
    s.call("search", None, "UNSEEN")
    s.call("search", None, r'OR (FROM "ann" SINCE 1-Feb-1994) (NOT (KEYWORD $Label1) LARGER 2000)')
    s.call("search", None, 'NOT OR SUBJECT "report" HEADER Message-ID "<reply-1@example.net>"')
    s.call("search", None, "BEFORE 10-Feb-1994 SENTSINCE 8-Feb-1994 SENTBEFORE 1-Jan-2030 ON 9-Feb-1994")
    s.call("search", None, r'(OR ANSWERED FLAGGED) UNDELETED SMALLER 100000 BODY "Friday"')
    s.call("search", None, "1:3,5 UID 1:* TEXT meeting")
    s.call("search", None, r'CC "bob" BCC "audit" TO "ann" NEW OLD RECENT SEEN UNDRAFT UNKEYWORD $Junk')
    s.m.literal = "Gr\u00fc\u00dfe".encode("utf-8")   # synchronising literal
    s.call("search", "UTF-8", "SUBJECT")
    s.call("uid", "SEARCH", "UID 2:4 NOT DELETED")
    s.call("uid", "SEARCH", "CHARSET", "US-ASCII", "HEADER X-Priority 3")
    s.call("sort", "(SUBJECT)", "UTF-8", "ALL")
    s.call("sort", "(REVERSE DATE FROM)", "UTF-8", "ALL")
    s.call("sort", "(ARRIVAL CC SIZE TO)", "US-ASCII", "UNDELETED")
    s.call("uid", "SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
    s.call("thread", "REFERENCES", "UTF-8", "ALL")
    s.call("thread", "ORDEREDSUBJECT", "UTF-8", "ALL")
    s.call("thread", "REFS", "UTF-8", "ALL")
    s.call("uid", "THREAD", "REFERENCES", "UTF-8", "ALL")
    s.call("copy", "1:2", quoted(ENTWUERFE))
    s.call("uid", "COPY", "3", quoted(QUOTED_BOX))
    s.call("copy", "1", "Nonexistent", expect="NO")
    s.call("expunge")
    s.call("noop")
    s.call("check")
    s.call("fetch", "99", "FLAGS", expect="BAD")   # sequence number out of range
    s.call("close")
    s.call("select", quoted(ENTWUERFE))
    s.call("fetch", "1:*", "(FLAGS ENVELOPE)")
    s.call("close")
    s.call("lsub", '""', "*")
    s.call("logout")


def scenario_imaplib_extensions(ctx):
    seed(ctx.dovecot.port, "bob")
    s = Session(ctx.proxy.port, ctx.journal)
    m = s.m
    s.cmd("ID", '("name" "capture.py" "version" "1.0" "os" NIL)')
    # AUTHENTICATE LOGIN: two server challenges, imaplib answers each.
    answers = iter([b"bob", USERS["bob"].encode()])
    s.call("authenticate", "LOGIN", lambda challenge: next(answers))
    s.call("capability")
    s.cmd("ID", "NIL")
    s.call("namespace")
    s.call("enable", "CONDSTORE")
    s.cmd("ENABLE", "QRESYNC", "X-NONEXISTENT")
    s.cmd("SELECT", "INBOX", "(CONDSTORE)")
    uidvalidity = int(s.untagged("UIDVALIDITY")[-1])
    s.cmd("FETCH", "1:*", "(UID FLAGS MODSEQ)")
    s.cmd("FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 1)")
    s.cmd("STORE", "1:2", "(UNCHANGEDSINCE 1)", "+FLAGS", r"(\Flagged)")   # -> MODIFIED
    s.cmd("FETCH", "1:*", "(MODSEQ)")
    hms = [int(x) for d in s.untagged("FETCH") if isinstance(d, bytes)
           for x in re.findall(rb"MODSEQ \((\d+)\)", d)]
    top = max(hms) if hms else 1
    s.cmd("STORE", "3", "(UNCHANGEDSINCE %d)" % top, "FLAGS.SILENT", r"(\Seen $Done)")
    s.cmd("UID", "FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE %d VANISHED)" % (top - 1))
    s.cmd("SEARCH", "MODSEQ", "2")
    s.cmd("SEARCH", "MODSEQ", '"/flags/\\\\Flagged"', "all", "1")
    # ESEARCH / SEARCHRES / WITHIN / SAVEDATE / CONTEXT
    s.cmd("SEARCH", "RETURN", "(MIN MAX COUNT ALL)", "ALL")
    s.cmd("UID", "SEARCH", "RETURN", "(ALL COUNT)", "UNSEEN")
    s.cmd("SEARCH", "RETURN", "()", "FLAGGED")
    s.cmd("SEARCH", "RETURN", "(SAVE)", "FROM", '"example"')
    s.cmd("FETCH", "$", "(UID FLAGS)")
    s.cmd("SEARCH", "RETURN", "(COUNT)", "$", "SEEN")
    s.cmd("SEARCH", "YOUNGER", "3600")
    s.cmd("SEARCH", "OLDER", "60")
    s.cmd("SEARCH", "SAVEDSINCE", "1-Jan-2000")
    s.cmd("FETCH", "1:2", "(SAVEDATE)")
    s.raw("SEARCH", "SEARCH RETURN (COUNT MIN UPDATE) UNSEEN")    # CONTEXT=SEARCH
    update_tag = s.last_tag
    s.cmd("SORT", "RETURN", "(MIN MAX COUNT ALL)", "(DATE)", "UTF-8", "ALL")
    s.cmd("SORT", "(DISPLAYFROM DISPLAYTO)", "UTF-8", "ALL")
    # PREVIEW / SNIPPET
    s.cmd("FETCH", "1:3", "(PREVIEW)")
    s.cmd("FETCH", "1", "(SNIPPET (FUZZY))")
    s.cmd("FETCH", "2", "(PREVIEW (LAZY))")
    # BINARY
    s.cmd("FETCH", "3", "(BINARY.SIZE[2] BINARY[2] BINARY.PEEK[1.1]<0.12> BINARY[3])")
    s.cmd("FETCH", "1", "(BINARY.PEEK[1] BINARY.SIZE[1])")
    # APPEND with LITERAL+ (non-synchronising) sent by hand; APPENDUID back.
    lit = small_message("literal plus", "litplus-1@x")
    s.raw("APPEND", b"APPEND INBOX (\\Seen) {%d+}\r\n" % len(lit) + lit)
    # APPEND with a literal8 (BINARY): NULs in the body.
    s.raw("APPEND", b"APPEND INBOX ~{%d+}\r\n" % len(MSG_BINARY) + MSG_BINARY)
    s.cmd("NOOP")
    s.cmd("UID", "FETCH", "*", "(UID BODYSTRUCTURE BINARY.SIZE[2] BINARY.PEEK[2])")
    # MULTIAPPEND
    m1 = small_message("multi one", "multi-1@x")
    m2 = small_message("multi two", "multi-2@x")
    s.raw("APPEND", b'APPEND Sent (\\Seen) "14-Feb-1994 10:00:00 +0000" {%d+}\r\n' % len(m1)
          + m1 + b" (\\Seen \\Answered) {%d+}\r\n" % len(m2) + m2)
    # CATENATE: header of INBOX message 1 (by URL) plus new text.
    text = b"\r\nCatenated body.\r\n"
    s.raw("APPEND", b'APPEND Drafts (\\Draft) CATENATE (URL "/INBOX;UIDVALIDITY=%d/;UID=1/;SECTION=HEADER"'
          b" TEXT {%d+}\r\n" % (uidvalidity, len(text)) + text + b")")
    s.raw("APPEND", b'APPEND INBOX {0+}\r\n', expect="NO")   # empty message -> NO
    # UIDPLUS, MOVE, UID EXPUNGE
    s.cmd("UID", "COPY", "1:2", "Trash")
    s.cmd("UID", "MOVE", "4", "Trash")
    s.cmd("MOVE", "1", "Junk")
    s.cmd("STORE", "1", "+FLAGS.SILENT", r"(\Deleted)")
    s.cmd("UID", "STORE", "5", "+FLAGS.SILENT", r"(\Deleted)")
    s.cmd("UID", "EXPUNGE", "5")           # QRESYNC enabled: answered with VANISHED
    s.cmd("EXPUNGE")
    # QRESYNC select: VANISHED (EARLIER) for the expunged UIDs
    s.cmd("UNSELECT")
    s.cmd("SELECT", "INBOX", "(QRESYNC (%d 1 1:20))" % uidvalidity)
    s.cmd("EXAMINE", "INBOX", "(QRESYNC (%d 2 1:20 (1:3 1:3)))" % uidvalidity)
    s.cmd("SELECT", "INBOX")
    # A second CONTEXT=SEARCH update, cancelled after IDLE/NOTIFY below
    # (UNSELECT above already ended the first one).
    s.raw("SEARCH", "SEARCH RETURN (COUNT UPDATE) FLAGGED")
    update_tag = s.last_tag
    # STATUS with extension items
    s.cmd("STATUS", "INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)")
    s.cmd("STATUS", "Trash", "(SIZE MESSAGES)")
    # LIST-EXTENDED / LIST-STATUS / SPECIAL-USE / CHILDINFO
    s.cmd("CREATE", "Projects/Alpha")
    s.cmd("CREATE", "Projects/Beta")
    s.cmd("CREATE", "Projects/Delta", "(USE (\\Archive))")   # CREATE-SPECIAL-USE (not offered)
    s.cmd("CREATE", "Flagged", "(USE (\\Flagged))")
    s.cmd("SUBSCRIBE", "Projects/Alpha")
    s.cmd("CREATE", "Ghost")
    s.cmd("SUBSCRIBE", "Ghost")
    s.cmd("DELETE", "Ghost")            # still subscribed -> \NonExistent
    s.cmd("SUBSCRIBE", "Nowhere", expect="NO")
    s.cmd("LIST", "(SUBSCRIBED)", '""', '"*"', "RETURN", "(CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))")
    s.cmd("LIST", "(SUBSCRIBED RECURSIVEMATCH)", '""', '"%"')
    s.cmd("LIST", "(SPECIAL-USE)", '""', '"*"')
    s.cmd("LIST", '""', '("INBOX" "Projects/*" "Sent")', "RETURN", "(SUBSCRIBED CHILDREN)")
    s.cmd("LIST", '""', '"%"', "RETURN", "(STATUS (UIDNEXT SIZE HIGHESTMODSEQ))")
    s.cmd("LIST", '""', '""')
    s.cmd("LSUB", '""', '"*"')
    s.cmd("UNSUBSCRIBE", "Ghost")
    s.cmd("UNSUBSCRIBE", "Projects/Alpha")
    # QUOTA
    s.cmd("GETQUOTAROOT", "INBOX")
    s.cmd("GETQUOTAROOT", "Trash")
    s.cmd("GETQUOTA", '"User quota"')
    s.cmd("SETQUOTA", '"User quota"', "(STORAGE 512)", expect="NO")
    # METADATA
    s.cmd("SETMETADATA", "INBOX", '(/private/comment "My own comment")')
    val = "multi\r\nline value".encode()
    s.raw("SETMETADATA", b"SETMETADATA INBOX (/shared/comment {%d+}\r\n" % len(val) + val + b")")
    s.cmd("SETMETADATA", '""', '(/private/vendor/capture/key "server value")')
    s.cmd("GETMETADATA", "INBOX", "(/private/comment /shared/comment /private/missing)")
    s.cmd("GETMETADATA", "(MAXSIZE 5)", "INBOX", "/shared/comment")
    s.cmd("GETMETADATA", "(DEPTH infinity)", '""', "/private/vendor")
    s.cmd("GETMETADATA", '""', "/shared/admin")
    s.cmd("SETMETADATA", "INBOX", "(/private/comment NIL)")
    s.cmd("SETMETADATA", "INBOX", '(/bogus/entry "x")', expect="BAD")
    # ACL
    s.call("myrights", "INBOX")
    s.call("getacl", "INBOX")
    s.cmd("LISTRIGHTS", "INBOX", "anyone")
    s.call("setacl", "Projects/Alpha", "anyone", "lr", expect="BAD")   # acl_anyone = forbid
    s.call("setacl", "Projects/Alpha", "carol", "lrs")
    s.call("setacl", "Projects/Alpha", "carol", "+wi")
    s.call("getacl", "Projects/Alpha")
    s.call("deleteacl", "Projects/Alpha", "carol")
    # IDLE: a second (unrecorded) connection appends, Dovecot reports EXISTS.
    s.cmd("NOOP")
    tag = m._new_tag()
    m.send(tag + b" IDLE" + CRLF)
    line = m.readline()
    if not line.startswith(b"+"):
        raise CaptureError("IDLE: expected continuation, got %r" % line)
    other = direct_session(ctx.dovecot.port, "bob")
    other.append("INBOX", r"(\Flagged)", None, small_message("arrived during IDLE", "idle-1@x"))
    other.select("INBOX")
    other.store("1", "+FLAGS", r"(\Answered)")
    got, deadline = [], time.time() + 15
    while time.time() < deadline:
        line = m.readline()
        got.append(line)
        if b"EXISTS" in line:
            break
    else:
        raise CaptureError("IDLE: no EXISTS within 15 s: %r" % got)
    time.sleep(1.5)   # let the flag change arrive as an untagged FETCH too
    m.send(b"DONE" + CRLF)
    typ, _ = m._command_complete("IDLE", tag)
    s.journal.append(("IDLE", typ))
    # NOTIFY: selected-mailbox and personal events while the other side works.
    s.cmd("NOTIFY", "SET", "STATUS", "(SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange))",
          "(PERSONAL (MessageNew MessageExpunge MailboxName SubscriptionChange))")
    other.append("Sent", None, None, small_message("notify me", "notify-1@x"))
    other.store("2", "+FLAGS", r"(\Seen)")
    other.create("Created-Elsewhere")
    other.logout()
    time.sleep(2)
    s.cmd("NOOP")
    s.cmd("NOTIFY", "NONE")
    s.cmd("CANCELUPDATE", quoted(update_tag.decode()))
    # RENAME / DELETE (including INBOX rename, which moves the messages)
    s.cmd("RENAME", "Projects/Beta", "Projects/Gamma")
    s.cmd("RENAME", "Created-Elsewhere", quoted(mutf7("Gel\u00f6scht")))
    s.cmd("DELETE", quoted(mutf7("Gel\u00f6scht")))
    s.cmd("DELETE", "Projects", expect="NO")     # has children
    s.cmd("DELETE", "Nonexistent", expect="NO")
    # Deliberately bad commands
    s.cmd("XBOGUS", "argument", expect="BAD")                  # unknown command
    s.cmd("FETCH", "1:*", "(FLAGS", expect="BAD")              # unbalanced paren
    s.cmd("FETCH", "0:x", "FLAGS", expect="BAD")               # bad sequence set
    s.cmd("STORE", "1", "+FLAGS", r"(\Bogus)", expect="BAD")   # bad system flag
    s.cmd("SEARCH", "FROBNICATE", "1", expect="BAD")           # unknown search key
    s.cmd("UID", "XYZZY", "1", expect="BAD")
    s.cmd("SEARCH", "CHARSET", "X-UNKNOWN", "ALL", expect="NO")  # [BADCHARSET]
    s.cmd("LOGIN", "bob", "secret", expect="BAD")              # wrong state
    s.cmd("CLOSE")
    s.cmd("FETCH", "1", "FLAGS", expect="BAD")                 # not selected
    s.cmd("SELECT", expect="BAD")                              # missing argument
    s.call("logout")


def scenario_imaplib_auth(ctx):
    """Authentication exchanges curl cannot produce against Dovecot (curl
    7.88 always uses SASL-IR when the server offers it): AUTHENTICATE PLAIN
    with an empty continuation, a cancelled exchange, failures."""
    s = Session(ctx.proxy.port, ctx.journal)
    s.call("capability")
    s.call("login", "carol", "wrong password", expect="NO")    # [AUTHENTICATIONFAILED]
    s.call("authenticate", "PLAIN", lambda challenge: None, expect="BAD")   # client sends "*"
    s.call("authenticate", "PLAIN", lambda challenge: b"\0carol\0nope", expect="NO")
    s.call("authenticate", "X-UNKNOWN-MECH", lambda challenge: b"", expect="NO")
    s.call("authenticate", "PLAIN", lambda challenge: b"\0carol\0" + USERS["carol"].encode())
    s.call("noop")
    s.call("logout")


CURL_SCENARIOS = [
    # name, curl arguments after the URL base is known (URL built from port)
    ("curl-list", ["{url}/"], []),
    ("curl-fetch-uid", ["{url}/INBOX;UID=1"], ["--sasl-ir"]),
    ("curl-fetch-section", ["{url}/INBOX/;UID=3/;SECTION=1.1"], ["--login-options", "AUTH=PLAIN"]),
    ("curl-fetch-mailindex", ["{url}/INBOX/;MAILINDEX=2/;SECTION=HEADER"], []),
    ("curl-search-new", ["{url}/INBOX?NEW"], ["--login-options", "AUTH=LOGIN"]),
    ("curl-search-subject", ["{url}/INBOX?SUBJECT%20report"], ["--sasl-ir", "--login-options", "AUTH=PLAIN"]),
    ("curl-examine", ["{url}/"], ["-X", "EXAMINE INBOX"]),
    ("curl-custom-fetch", ["{url}/INBOX"], ["-X", "FETCH 1:* (FLAGS ENVELOPE)"]),
    ("curl-append", ["{url}/INBOX"], ["-T", "{upload}"]),
]


def make_curl_scenario(name, url_args, opts):
    def run(ctx):
        seed(ctx.dovecot.port, "carol")
        upload = os.path.join(ctx.scratch, "upload.eml")
        with open(upload, "wb") as f:
            f.write(small_message("uploaded by curl", "curl-upload@x"))
        url = "imap://%s:%d" % (LOOPBACK, ctx.proxy.port)
        args = [ctx.tools["curl"], "--silent", "--show-error", "--max-time", "30",
                "--noproxy", "*", "-u", "carol:%s" % USERS["carol"]]
        args += [a.format(upload=upload) for a in opts]
        args += [a.format(url=url) for a in url_args]
        r = subprocess.run(args, capture_output=True, timeout=60)
        if r.returncode != 0:
            raise CaptureError("%s: curl exited %d: %s" % (name, r.returncode, r.stderr.decode(errors="replace")))
        ctx.journal.append(("curl", "OK"))
    run.__name__ = name
    return run


MBSYNC_CONF = """\
IMAPAccount dovecot
Host 127.0.0.1
Port {port}
User dave
Pass {password}
SSLType None
AuthMechs {mechs}
Timeout 30

IMAPStore remote
Account dovecot

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Remove None
Expunge Both
SyncState *
CopyArrivalDate yes
"""


MBSYNC_FOLDERS = ("Work", ENTWUERFE, "Work/Reports", "Old Stuff", QUOTED_BOX)


def run_mbsync(ctx, mechs, port=None):
    local = os.path.join(ctx.scratch, "mbsync-local")
    os.makedirs(local, exist_ok=True)
    conf = os.path.join(ctx.scratch, "mbsyncrc")
    with open(conf, "w") as f:
        f.write(MBSYNC_CONF.format(port=port or ctx.proxy.port, password=USERS["dave"],
                                   local=local, mechs=mechs))
    os.chmod(conf, 0o600)
    env = dict(os.environ, HOME=ctx.scratch)
    r = subprocess.run([ctx.tools["mbsync"], "-c", conf, "-V", "-a"],
                       capture_output=True, timeout=120, env=env)
    out = (r.stdout + r.stderr).decode(errors="replace")
    with open(os.path.join(ctx.scratch, "mbsync.log"), "a") as f:
        f.write(out)
    if r.returncode != 0:
        raise CaptureError("mbsync exited %d:\n%s" % (r.returncode, out[-4000:]))
    ctx.journal.append(("mbsync", "OK"))
    return local


def scenario_mbsync_pull(ctx):
    seed(ctx.dovecot.port, "dave", folders=MBSYNC_FOLDERS)
    run_mbsync(ctx, "LOGIN")


def scenario_mbsync_push(ctx):
    local = os.path.join(ctx.scratch, "mbsync-local")
    if not os.path.isdir(os.path.join(local, "INBOX", "cur")):
        log("mbsync-push: running an unrecorded pull first")
        seed(ctx.dovecot.port, "dave", folders=MBSYNC_FOLDERS)
        # Not recorded under this scenario: straight to Dovecot.
        run_mbsync(ctx, "LOGIN", port=ctx.dovecot.port)
    # Local changes: a new message in INBOX, a new flag on an old one, a
    # message removed (expunge on the far side), and a new message in Work.
    inbox = os.path.join(local, "INBOX")
    name = "%d.capture_1.localhost:2,S" % int(time.time())
    with open(os.path.join(inbox, "cur", name), "wb") as f:
        f.write(small_message("written locally", "local-1@x").replace(b"\r\n", b"\n"))
    cur = sorted(os.listdir(os.path.join(inbox, "cur")))
    changed = 0
    for fn in cur:
        if fn == name:
            continue
        base, _, flags = fn.partition(":2,")
        if "F" not in flags and changed == 0:
            newflags = "".join(sorted(flags + "F"))
            os.rename(os.path.join(inbox, "cur", fn), os.path.join(inbox, "cur", base + ":2," + newflags))
            changed += 1
        elif "T" not in flags and changed == 1:
            newflags = "".join(sorted(flags + "T"))   # trashed -> \Deleted, expunged
            os.rename(os.path.join(inbox, "cur", fn), os.path.join(inbox, "cur", base + ":2," + newflags))
            changed += 1
            break
    work = os.path.join(local, "Work")
    with open(os.path.join(work, "new", "%d.capture_2.localhost" % int(time.time())), "wb") as f:
        f.write(small_message("new in Work", "local-2@x").replace(b"\r\n", b"\n"))
    run_mbsync(ctx, "PLAIN")


SCENARIOS = [
    ("imaplib-basic", scenario_imaplib_basic, []),
    ("imaplib-extensions", scenario_imaplib_extensions, []),
    ("imaplib-auth", scenario_imaplib_auth, []),
] + [
    (name, make_curl_scenario(name, url_args, opts), ["curl"])
    for name, url_args, opts in CURL_SCENARIOS
] + [
    ("mbsync-pull", scenario_mbsync_pull, ["mbsync"]),
    ("mbsync-push", scenario_mbsync_push, ["mbsync"]),
]

# What each capture must contain (regular expressions over the raw bytes).
EXPECT = {
    "imaplib-basic": {
        "c2s": [rb"LOGIN alice ", rb"CAPABILITY", rb"CREATE \"Entw&APw-rfe\"", rb'CREATE "My \\"quoted\\" folder"',
                rb"APPEND INBOX \(\\Seen\) \"07-Feb-1994", rb"STATUS INBOX \(", rb"EXAMINE INBOX", rb"SELECT INBOX",
                rb"ENVELOPE", rb"BODYSTRUCTURE", rb"BODY\.PEEK\[HEADER\.FIELDS \(", rb"BODY\[1\.MIME\]",
                rb"BODY\[\]<0\.100>", rb"STORE 1 \+FLAGS", rb"FLAGS\.SILENT", rb"SEARCH OR \(", rb"UID SEARCH",
                rb"SORT \(", rb"THREAD REFERENCES", rb"THREAD ORDEREDSUBJECT", rb"COPY ", rb"EXPUNGE",
                rb"NOOP", rb"CHECK", rb"CLOSE", rb"LOGOUT"],
        "s2c": [rb"\* CAPABILITY ", rb"\* LIST \(", rb"\[APPENDUID ", rb"\[COPYUID ", rb"\* STATUS ",
                rb"ENVELOPE \(", rb"BODYSTRUCTURE \(\(\(", rb"\* SORT", rb"\* THREAD", rb"\* \d+ EXPUNGE",
                rb"\* BYE", rb" NO ", rb" BAD "],
    },
    "imaplib-extensions": {
        "c2s": [rb"AUTHENTICATE LOGIN", rb"ENABLE CONDSTORE", rb"ENABLE QRESYNC", rb"\(CONDSTORE\)",
                rb"\(QRESYNC \(", rb"CHANGEDSINCE", rb"UNCHANGEDSINCE", rb"RETURN \(MIN MAX COUNT ALL\)",
                rb"RETURN \(SAVE\)", rb"FETCH \$", rb"UID MOVE", rb"UID EXPUNGE", rb"NAMESPACE", rb"ID \(",
                rb"RETURN \(CHILDREN SPECIAL-USE STATUS", rb"LSUB", rb"SUBSCRIBE", rb"UNSUBSCRIBE",
                rb"GETQUOTAROOT", rb"GETQUOTA ", rb"SETMETADATA", rb"GETMETADATA", rb"BINARY\[",
                rb"\{\d+\+\}\r\n", rb"~\{\d+\+\}\r\n", rb"IDLE\r\n", rb"\r\nDONE\r\n", rb"UNSELECT",
                rb"RENAME", rb"DELETE", rb"XBOGUS", rb"NOTIFY SET", rb"CATENATE", rb"MYRIGHTS"],
        "s2c": [rb"VANISHED \(EARLIER\)", rb"\* VANISHED ", rb"\[MODIFIED ", rb"\* ESEARCH ", rb"MODSEQ \(",
                rb"\[APPENDUID ", rb"\[COPYUID ", rb"\* NAMESPACE ", rb"\* ID ", rb"\* QUOTAROOT ",
                rb"\* QUOTA ", rb"\* METADATA ", rb"BINARY\[2\] ~\{", rb"\+ idling", rb"\* \d+ EXISTS",
                rb"\[HIGHESTMODSEQ ", rb"\* ENABLED", rb"\* STATUS .*SIZE", rb"CHILDINFO", rb" BAD ",
                rb"\* MYRIGHTS", rb"\* ACL", rb"\* LISTRIGHTS", rb"\* BYE"],
    },
    "imaplib-auth": {"c2s": [rb"AUTHENTICATE PLAIN\r\n", rb"(?m)^\*\r\n", rb"(?m)^AGNhcm9sAHNlY3JldA==\r\n"],
                     "s2c": [rb"(?m)^\+ ?\r\n", rb"AUTHENTICATIONFAILED", rb" BAD ", rb" OK "]},
    "curl-list": {"c2s": [rb"AUTHENTICATE PLAIN [A-Za-z0-9+/=]+\r\n", rb"LIST \"\" \*"], "s2c": [rb"\* LIST "]},
    "curl-fetch-uid": {"c2s": [rb"AUTHENTICATE PLAIN [A-Za-z0-9+/=]+\r\n", rb"UID FETCH 1 BODY\[\]"],
                       "s2c": [rb"FETCH \(UID 1 BODY\[\] \{"]},
    "curl-fetch-section": {"c2s": [rb"AUTHENTICATE PLAIN", rb"UID FETCH 3 BODY\[1\.1\]"], "s2c": [rb"BODY\[1\.1\] \{"]},
    "curl-fetch-mailindex": {"c2s": [rb"FETCH 2 BODY\[HEADER\]"], "s2c": [rb"BODY\[HEADER\] \{"]},
    "curl-search-new": {"c2s": [rb"AUTHENTICATE LOGIN [A-Za-z0-9+/=]+\r\n", rb"SEARCH NEW"],
                        "s2c": [rb"\+ UGFzc3dvcmQ6", rb"\* SEARCH"]},
    "curl-search-subject": {"c2s": [rb"AUTHENTICATE PLAIN [A-Za-z0-9+/=]+\r\n", rb"SEARCH SUBJECT report"],
                            "s2c": [rb"\* SEARCH \d"]},
    "curl-examine": {"c2s": [rb"EXAMINE INBOX"], "s2c": [rb"READ-ONLY"]},
    "curl-custom-fetch": {"c2s": [rb"FETCH 1:\* \(FLAGS ENVELOPE\)"], "s2c": [rb"ENVELOPE \("]},
    "curl-append": {"c2s": [rb"APPEND INBOX \(\\Seen\) \{\d+\}"], "s2c": [rb"\[APPENDUID "]},
    "mbsync-pull": {"c2s": [rb'LOGIN "dave" ', rb"UID FETCH", rb"SELECT", rb"LIST", rb'SELECT "Old Stuff"'],
                    "s2c": [rb"BODY\[\] \{"]},
    "mbsync-push": {"c2s": [rb"AUTHENTICATE PLAIN", rb"APPEND ", rb"UID STORE \d+ \+FLAGS.SILENT \(\\Flagged\)",
                            rb"UID STORE \d+ \+FLAGS.SILENT \(\\Deleted\)", rb"CLOSE"],
                    "s2c": [rb"\[APPENDUID "]},
}

FORBIDDEN_C2S = [rb"(?m)^\S+ (STARTTLS|COMPRESS)\b"]
MAX_BYTES = 200 * 1024


def tagged_completions_ok(c2s, s2c):
    """Every tag a client used on a command line has a tagged OK/NO/BAD."""
    tags = set()
    for m in re.finditer(rb"(?m)^([A-Za-z0-9]+) [A-Za-z]", c2s):
        tags.add(m.group(1))
    done = set(m.group(1) for m in re.finditer(rb"(?m)^([A-Za-z0-9]+) (?:OK|NO|BAD)\b", s2c))
    # Literal content lines can look like commands; only tags shaped like
    # the clients' tags count (imaplib XXXX1, curl A001, mbsync digits).
    tags = {t for t in tags if re.fullmatch(rb"[A-Z]{4}\d+|A\d{3}|\d+", t)}
    return sorted(tags - done)


def verify(name, out_dir, files):
    problems = []
    if not files:
        return ["no connection was recorded"]
    c2s = open(os.path.join(out_dir, name + ".c2s"), "rb").read()
    s2c = open(os.path.join(out_dir, name + ".s2c"), "rb").read()
    for f in files:
        size = os.path.getsize(f)
        if size == 0:
            problems.append("%s is empty" % os.path.basename(f))
        if size > MAX_BYTES:
            problems.append("%s is %d bytes (> %d)" % (os.path.basename(f), size, MAX_BYTES))
    for pat in EXPECT.get(name, {}).get("c2s", []):
        if not re.search(pat, c2s):
            problems.append("client never sent %r" % pat)
    for pat in EXPECT.get(name, {}).get("s2c", []):
        if not re.search(pat, s2c):
            problems.append("server never sent %r" % pat)
    for pat in FORBIDDEN_C2S:
        if re.search(pat, c2s):
            problems.append("client sent forbidden %r" % pat)
    if b"\x16\x03" == s2c[:2] or b"\x16\x03" == c2s[:2]:
        problems.append("looks like TLS")
    missing = tagged_completions_ok(c2s, s2c)
    if missing:
        problems.append("no tagged completion for %s" % missing)
    return problems


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

class Context:
    pass


def find_tools(needed):
    tools, missing = {}, []
    dovecot = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if not dovecot:
        missing.append("dovecot (Debian: apt-get install dovecot-imapd)")
    tools["dovecot"] = dovecot
    hints = {"curl": "curl (Debian: apt-get install curl)",
             "mbsync": "mbsync (Debian: apt-get install isync)"}
    for t in sorted(needed):
        path = shutil.which(t)
        if not path:
            missing.append(hints[t])
        tools[t] = path
    if missing:
        raise CaptureError("missing tool(s): " + ", ".join(missing))
    return tools


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("--scenario", action="append", metavar="NAME",
                    help="run only this scenario (repeatable; a trailing * matches a prefix)")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args(argv)

    names = [n for n, _, _ in SCENARIOS]
    if args.list:
        print("\n".join(names))
        return 0
    chosen = SCENARIOS
    if args.scenario:
        chosen = []
        for want in args.scenario:
            hit = [sc for sc in SCENARIOS
                   if sc[0] == want or (want.endswith("*") and sc[0].startswith(want[:-1]))]
            if not hit:
                raise CaptureError("unknown scenario %r; known: %s" % (want, ", ".join(names)))
            chosen += [sc for sc in hit if sc not in chosen]
    if os.geteuid() != 0:
        raise CaptureError("must run as root (Dovecot switches to the mail user 'nobody')")
    tools = find_tools({t for _, _, needs in chosen for t in needs})
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)

    scratch = tempfile.mkdtemp(prefix="imap-capture-")
    os.chmod(scratch, 0o755)
    dovecot = Dovecot(scratch, tools["dovecot"])
    proxy = None
    failed = []
    try:
        dovecot.start()     # on failure the handler below prints its log
        proxy = RecordingProxy(dovecot.port, out_dir)
        log("recording proxy on %s:%d -> %d, writing to %s" % (LOOPBACK, proxy.port, dovecot.port, out_dir))
        for name, fn, _ in chosen:
            ctx = Context()
            ctx.dovecot, ctx.proxy, ctx.scratch, ctx.tools = dovecot, proxy, scratch, tools
            ctx.journal = []
            log("scenario %s" % name)
            proxy.begin(name)
            err = None
            try:
                fn(ctx)
            except (CaptureError, imaplib.IMAP4.error, OSError, subprocess.SubprocessError) as e:
                err = "%s: %s" % (type(e).__name__, e)
            try:
                files = proxy.end()
            except CaptureError as e:
                files, err = [], err or str(e)
            problems = ([err] if err else []) + verify(name, out_dir, files)
            unexpected = [w for w, t in ctx.journal if t in ("NO", "BAD")]
            sizes = ", ".join("%s %d B" % (os.path.basename(f), os.path.getsize(f)) for f in files)
            log("  %s; %d commands by the client driver, %d unexpected NO/BAD" % (sizes, len(ctx.journal), len(unexpected)))
            if problems:
                failed.append(name)
                for p in problems:
                    log("  PROBLEM: %s" % p)
    except BaseException:
        dovecot.dump_log()
        raise
    finally:
        if proxy:
            proxy.close()
        dovecot.stop()
        if failed:
            dovecot.dump_log()
        if args.keep:
            log("scratch directory kept: %s" % scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if failed:
        log("FAILED scenarios: %s (dovecot log printed above)" % ", ".join(failed))
        return 1
    log("all %d scenario(s) captured in %s" % (len(chosen), out_dir))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CaptureError as e:
        log("error: %s" % e)
        sys.exit(2)
