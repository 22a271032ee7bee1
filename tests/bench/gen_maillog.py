#!/usr/bin/env python3
"""Writes a synthetic Postfix maillog of about SIZE_MB megabytes to stdout,
for tests/bench/logs.sh. Deterministic (seeded). The mix follows a busy
outgoing relay: SASL submissions and MX inbound, ~85 % delivered first
time, deferrals (connection refused, greylisting, 421 too busy) retried
and delivered or expired, 5.1.1/5.2.2 bounces with their non-delivery
notification and its local delivery, NOQUEUE rejects, TLS and connect
noise, warnings, and a share of mailcanary probe Message-IDs.

    gen_maillog.py SIZE_MB [SEED]
"""
import random
import sys

MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
HEX = "0123456789ABCDEF"
B32 = "abcdefghijklmnopqrstuvwxyz234567"
DOMAINS = ["gmail.com", "example.net", "corp.example", "dest.test", "mail.ru",
           "yahoo.com", "outlook.com", "web.de", "free.fr", "uni.example.edu"]
MX = {d: f"mx{i % 3 + 1}.{d}" for i, d in enumerate(DOMAINS)}


def main():
    size = int(float(sys.argv[1]) * 1024 * 1024)
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    out = sys.stdout
    written = 0
    t = 0  # seconds since Jan 1 00:00
    buf = []
    pend = []  # deferred messages waiting for a retry: (due, qid, rcpt, sender, tries)
    users = [f"user{i}" for i in range(3000)]
    senders = [f"{u}@src.example" for u in users[:400]]
    pid = 1000
    host = "relay"

    def stamp(sec):
        day = sec // 86400
        mon = min(day // 31, 11)
        mday = day - mon * 31 + 1
        h, m, s = sec // 3600 % 24, sec // 60 % 60, sec % 60
        return f"{MON[mon]} {mday:2d} {h:02d}:{m:02d}:{s:02d} {host} "

    def qid():
        return "".join(rnd.choice(HEX) for _ in range(11))

    while written < size:
        t += rnd.choice((0, 0, 0, 1, 1, 2))
        ts = stamp(t)
        pid = (pid + 1) % 30000 + 1000
        r = rnd.random()
        ip = f"203.0.113.{rnd.randrange(1, 255)}"
        if r < 0.05:
            rc = rnd.choice(users) + "@" + rnd.choice(DOMAINS)
            buf.append(f"{ts}postfix/smtpd[{pid}]: connect from unknown[{ip}]\n"
                       f"{ts}postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{ip}]: "
                       f"554 5.7.1 <{rc}>: Relay access denied; from=<spam@bad.example> to=<{rc}> "
                       f"proto=ESMTP helo=<bad.example>\n"
                       f"{ts}postfix/smtpd[{pid}]: disconnect from unknown[{ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4\n")
        elif r < 0.07:
            buf.append(f"{ts}postfix/smtpd[{pid}]: warning: hostname h{pid}.example does not resolve to address {ip}: Name or service not known\n")
        else:
            q = qid()
            snd = rnd.choice(senders)
            rc = rnd.choice(users) + "@" + rnd.choice(DOMAINS)
            dom = rc.split("@")[1]
            if rnd.random() < 0.02:
                mid = "".join(rnd.choice(B32) for _ in range(26)) + "@src.example"
            else:
                mid = f"{t}.{q}@src.example"
            size_b = rnd.randrange(800, 90000)
            buf.append(
                f"{ts}postfix/submission/smtpd[{pid}]: connect from client[{ip}]\n"
                f"{ts}postfix/submission/smtpd[{pid}]: Anonymous TLS connection established from client[{ip}]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
                f"{ts}postfix/submission/smtpd[{pid}]: {q}: client=client[{ip}], sasl_method=PLAIN, sasl_username={snd}\n"
                f"{ts}postfix/cleanup[{pid + 1}]: {q}: message-id=<{mid}>\n"
                f"{ts}postfix/qmgr[900]: {q}: from=<{snd}>, size={size_b}, nrcpt=1 (queue active)\n"
                f"{ts}postfix/submission/smtpd[{pid}]: disconnect from client[{ip}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8\n")
            mx = MX[dom]
            d = rnd.random()
            relay = f"{mx}[198.51.100.{rnd.randrange(1, 255)}]:25"
            if d < 0.85:
                buf.append(f"{ts}postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={relay}, delay=0.{rnd.randrange(10, 99)}, delays=0.01/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {qid()})\n"
                           f"{ts}postfix/qmgr[900]: {q}: removed\n")
            elif d < 0.93:
                why = rnd.choice((
                    f"dsn=4.4.1, status=deferred (connect to {mx}[198.51.100.7]:25: Connection refused)",
                    f"dsn=4.7.1, status=deferred (host {relay} said: 450 4.7.1 <{rc}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/ (in reply to RCPT TO command))",
                    f"dsn=4.3.2, status=deferred (host {relay} refused to talk to me: 421 4.3.2 Service shutting down, too busy)"))
                rl = "none" if "connect to" in why else relay
                buf.append(f"{ts}postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={rl}, delay=1.2, delays=0.01/0/1.1/0, {why}\n")
                pend.append((t + rnd.randrange(300, 3600), q, rc, snd, relay))
            else:
                code, text = rnd.choice((("5.1.1", "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table"),
                                         ("5.2.2", "552 5.2.2 <%s>: Mailbox full")))
                nq = qid()
                buf.append(f"{ts}postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={relay}, delay=0.3, delays=0.01/0/0.1/0.2, dsn={code}, status=bounced (host {relay} said: {text % rc} (in reply to RCPT TO command))\n"
                           f"{ts}postfix/cleanup[{pid + 1}]: {nq}: message-id=<{t}.{nq}@relay.src.example>\n"
                           f"{ts}postfix/bounce[{pid + 3}]: {q}: sender non-delivery notification: {nq}\n"
                           f"{ts}postfix/qmgr[900]: {nq}: from=<>, size=3200, nrcpt=1 (queue active)\n"
                           f"{ts}postfix/qmgr[900]: {q}: removed\n"
                           f"{ts}postfix/local[{pid + 4}]: {nq}: to=<{snd}>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)\n"
                           f"{ts}postfix/qmgr[900]: {nq}: removed\n")
        while pend and pend[0][0] <= t:
            due, q, rc, snd, relay = pend.pop(0)
            ts = stamp(t)
            if rnd.random() < 0.9:
                buf.append(f"{ts}postfix/qmgr[900]: {q}: from=<{snd}>, size=1000, nrcpt=1 (queue active)\n"
                           f"{ts}postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={relay}, delay=900, delays=899/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {qid()})\n"
                           f"{ts}postfix/qmgr[900]: {q}: removed\n")
            else:
                buf.append(f"{ts}postfix/qmgr[900]: {q}: from=<{snd}>, status=expired, returned to sender\n"
                           f"{ts}postfix/qmgr[900]: {q}: removed\n")
        if len(buf) >= 2000:
            s = "".join(buf)
            out.write(s)
            written += len(s)
            buf = []
    out.write("".join(buf))


if __name__ == "__main__":
    main()
