#!/usr/bin/env bash
# Regenerates password-hashes.tsv beside this script with real tools, so the
# password scheme tests check against what Dovecot, libxcrypt and passlib
# actually write rather than against our own idea of the formats.
#
# Needs (Debian 12):   apt-get install dovecot-core whois python3
#                      pip install passlib argon2-cffi
#   (or the Debian packages python3-passlib python3-argon2)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/password-hashes.tsv"

missing=()
command -v doveadm >/dev/null || missing+=("doveadm (apt-get install dovecot-core)")
command -v mkpasswd >/dev/null || missing+=("mkpasswd (apt-get install whois)")
python3 -c 'import passlib' 2>/dev/null || missing+=("passlib (pip install passlib)")
python3 -c 'import argon2' 2>/dev/null || missing+=("argon2-cffi (pip install argon2-cffi)")
if ((${#missing[@]})); then
    printf 'missing: %s\n' "${missing[@]}" >&2
    exit 1
fi

python3 - "$out" <<'PY'
import subprocess, sys
from importlib.metadata import version

import passlib.hash as ph

out = sys.argv[1]
# Passwords: ASCII, empty, a lone space, Latin-1 range, CJK plus a 4-byte
# emoji, spaces, and 82 bytes (past bcrypt's 72 and DES's 8).
ALL = ["pencil", "", " ", "pässwörd", "密码🔑", "correct horse battery staple",
       "0123456789abcdefghijklmnopqrstuvwxyz" * 2 + "0123456789"]
FEW = ["pencil", "", "pässwörd"]  # for the memory-hard schemes: slow in debug builds

rows = []

def doveadm(scheme, password, *extra):
    # -c /dev/null: no dovecot.conf needed; pw only uses the built-in schemes.
    cmd = ["doveadm", "-c", "/dev/null", "pw", "-s", scheme, *extra, "-p", password]
    stored = subprocess.run(cmd, check=True, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL).stdout.removesuffix("\n")
    rows.append((" ".join(["doveadm pw -s", scheme, *extra]), password, stored))

def mkpasswd(method, password, schemes, *extra):
    # --stdin: an empty password as an argument would make mkpasswd prompt.
    cmd = ["mkpasswd", "--stdin", "-m", method, *extra]
    data = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          input=password + "\n").stdout.removesuffix("\n")
    for scheme in schemes:
        rows.append((" ".join(["mkpasswd -m", method, *extra]), password, "{%s}%s" % (scheme, data)))

def passlib(label, handler, password, schemes=(None,)):
    data = handler.hash(password)
    for scheme in schemes:
        stored = data if scheme is None else "{%s}%s" % (scheme, data)
        rows.append(("passlib " + label, password, stored))

PLAIN_ISH = ["PLAIN", "CLEAR", "CLEARTEXT", "PLAIN.B64", "PLAIN.HEX"]
DIGESTS = ["SHA", "SHA1", "SHA256", "SHA512", "SHA1.HEX", "SHA256.HEX", "SHA512.HEX",
           "SHA256.B64", "PLAIN-MD5", "PLAIN-MD5.B64", "LDAP-MD5", "SMD5", "SSHA",
           "SSHA256", "SSHA512", "SSHA.HEX", "SSHA512.BASE64"]
CRYPTS = ["CRYPT", "DES-CRYPT", "MD5", "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT",
          "BLF-CRYPT"]
SCRAMS = ["SCRAM-SHA-1", "SCRAM-SHA-256"]

for pw in ALL:
    for scheme in PLAIN_ISH + DIGESTS + CRYPTS + SCRAMS:
        doveadm(scheme, pw)
for pw in FEW:
    doveadm("SHA256-CRYPT", pw, "-r", "10000")
    doveadm("SHA512-CRYPT", pw, "-r", "20000")
    doveadm("BLF-CRYPT", pw, "-r", "8")
    doveadm("SCRAM-SHA-256", pw, "-r", "5000")
    doveadm("ARGON2I", pw)
    doveadm("ARGON2ID", pw)

for pw in ALL:
    mkpasswd("sha-512", pw, ["SHA512-CRYPT", "CRYPT"])
    mkpasswd("sha-256", pw, ["SHA256-CRYPT", "CRYPT"])
    mkpasswd("md5crypt", pw, ["MD5-CRYPT", "CRYPT", "MD5"])
    mkpasswd("bcrypt", pw, ["BLF-CRYPT", "CRYPT"])
    mkpasswd("bcrypt-a", pw, ["BLF-CRYPT", "CRYPT"])
    mkpasswd("descrypt", pw, ["DES-CRYPT", "CRYPT"])
for pw in FEW:
    mkpasswd("sha-512", pw, ["SHA512-CRYPT"], "-R", "12345")
    mkpasswd("sha-256", pw, ["CRYPT"], "-R", "1000")

cheap_argon2 = dict(memory_cost=8192, time_cost=2, parallelism=2)
for pw in ALL:
    passlib("ldap_salted_sha1(salt_size=8)", ph.ldap_salted_sha1.using(salt_size=8), pw)
    passlib("ldap_salted_sha1(salt_size=16)", ph.ldap_salted_sha1.using(salt_size=16), pw)
    passlib("ldap_salted_sha256", ph.ldap_salted_sha256, pw)
    passlib("ldap_salted_sha512", ph.ldap_salted_sha512, pw)
    passlib("ldap_salted_md5", ph.ldap_salted_md5, pw)
    passlib("ldap_sha1", ph.ldap_sha1, pw)
    passlib("ldap_hex_sha1", ph.ldap_hex_sha1, pw)
    passlib("ldap_md5", ph.ldap_md5, pw)
    passlib("ldap_hex_md5", ph.ldap_hex_md5, pw)
    passlib("md5_crypt(salt='ab')", ph.md5_crypt.using(salt="ab"), pw, ["MD5-CRYPT", "CRYPT"])
    passlib("md5_crypt(salt='')", ph.md5_crypt.using(salt=""), pw, ["MD5-CRYPT"])
    passlib("sha512_crypt(salt='abc',rounds=5000)",
            ph.sha512_crypt.using(salt="abc", rounds=5000), pw, ["SHA512-CRYPT"])
    passlib("des_crypt", ph.des_crypt, pw, ["DES-CRYPT"])
    passlib("bcrypt(ident='2y',rounds=5)", ph.bcrypt.using(ident="2y", rounds=5), pw,
            ["BLF-CRYPT"])
    passlib("bcrypt(ident='2b',rounds=5)", ph.bcrypt.using(ident="2b", rounds=5), pw,
            ["CRYPT"])
    passlib("argon2(type='ID',m=8192,t=2,p=2)", ph.argon2.using(type="ID", **cheap_argon2),
            pw, ["ARGON2ID"])
    passlib("argon2(type='I',m=8192,t=2,p=2)", ph.argon2.using(type="I", **cheap_argon2),
            pw, ["ARGON2I"])
passlib("argon2(type='ID')", ph.argon2.using(type="ID"), "pencil", ["ARGON2ID"])

dovecot = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "dovecot-core"],
                         capture_output=True, text=True).stdout or "unknown"
whois = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "whois"],
                       capture_output=True, text=True).stdout or "unknown"
with open(out, "w", encoding="utf-8") as f:
    f.write("# Made by sasl/tests/data/make-password-hashes.sh with real tools: doveadm pw "
            f"(dovecot-core {dovecot}), mkpasswd (whois {whois}), passlib {version('passlib')} "
            f"with argon2-cffi {version('argon2-cffi')}.\n")
    f.write("# Tab-separated; the password column is UTF-8 and may be empty or a space; "
            "stored is the string a Dovecot passdb holds.\n")
    f.write("generator\tpassword\tstored\n")
    for row in rows:
        assert not any("\t" in c or "\n" in c for c in row), row
        f.write("\t".join(row) + "\n")
print(f"wrote {len(rows)} hashes to {out}")
PY
