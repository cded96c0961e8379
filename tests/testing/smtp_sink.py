#!/usr/bin/python3
"""An SMTP sink for tests, on Debian's python3-aiosmtpd (run it with
/usr/bin/python3). Started by tests/testing/smtp_sink.cc; usable by hand:

  /usr/bin/python3 smtp_sink.py --dir /tmp/mail [--port 0] [--reject a@b.c]
      [--auth user:password] [--tls-cert cert.pem --tls-key key.pem]

Listens on 127.0.0.1 and prints "port <n>" on stdout once it accepts
connections. Each accepted message becomes one file <dir>/<number>.msg
(numbers from 000001 in acceptance order, continuing after the files already
there), written to a hidden temporary name and renamed, so a reader never
sees half a message. A file holds the envelope, a blank line, then the
message exactly as received (CRLF line endings, dot-stuffing undone):

  mail-from: <address>
  rcpt-to: <address>         (one line per accepted recipient)
  tls: yes|no                (whether the session had done STARTTLS)
  auth: <user>|-             (who authenticated, "-" for nobody)

Options: --reject makes RCPT TO of that address fail with 550 (repeatable);
--auth requires AUTH (PLAIN or LOGIN, allowed without TLS) with those
credentials; --tls-cert/--tls-key offer STARTTLS.
"""

import argparse
import asyncio
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, reject):
        self.directory = directory
        self.reject = {address.lower() for address in reject}
        numbers = [int(name[:-4]) for name in os.listdir(directory)
                   if name.endswith('.msg') and name[:-4].isdigit()]
        self.next_number = max(numbers, default=0) + 1

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if address.lower() in self.reject:
            return f'550 5.1.1 <{address}>: recipient rejected'
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 OK'

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        user = auth.login.decode() if isinstance(auth, LoginPassword) else '-'
        head = [f'mail-from: {envelope.mail_from}']
        head += [f'rcpt-to: {address}' for address in envelope.rcpt_tos]
        head.append(f'tls: {"yes" if session.ssl is not None else "no"}')
        head.append(f'auth: {user}')
        number = self.next_number
        self.next_number += 1
        temporary = os.path.join(self.directory, f'.tmp-{number:06d}')
        with open(temporary, 'wb') as out:
            out.write(('\n'.join(head) + '\n\n').encode())
            out.write(envelope.original_content)
        os.rename(temporary,
                  os.path.join(self.directory, f'{number:06d}.msg'))
        return '250 2.0.0 OK: queued'


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False: aiosmtpd answers 535 itself on failure.
        return AuthResult(success=ok, handled=False,
                          auth_data=auth_data if ok else None)
    return authenticate


async def serve(args):
    loop = asyncio.get_running_loop()
    sink = Sink(args.dir, args.reject)
    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
    auth = {}
    if args.auth:
        user, _, password = args.auth.partition(':')
        auth = dict(authenticator=make_authenticator(user, password),
                    auth_required=True, auth_require_tls=False)

    def factory():
        # hostname given: the default asks DNS for the machine's FQDN.
        return SMTP(sink, hostname='sink.localhost', tls_context=tls_context,
                    loop=loop, **auth)

    server = await loop.create_server(factory, host='127.0.0.1',
                                      port=args.port, reuse_address=True)
    print(f'port {server.sockets[0].getsockname()[1]}', flush=True)
    await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dir', required=True)
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--reject', action='append', default=[])
    parser.add_argument('--auth', default='')
    parser.add_argument('--tls-cert', default='')
    parser.add_argument('--tls-key', default='')
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error('--tls-cert and --tls-key go together')
    # AUTH without TLS is what --auth asks for; aiosmtpd warns about it on
    # every connection, which would drown the test output.
    warnings.filterwarnings('ignore', message='Requiring AUTH while not')
    logging.getLogger('mail.log').setLevel(logging.ERROR)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
