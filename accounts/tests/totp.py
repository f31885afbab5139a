"""RFC 6238 TOTP codes computed in the tests, as an authenticator app would (independent of allauth's code)."""

import base64
import hashlib
import hmac
import struct
import time


def totp_code(secret, at=None, period=30, digits=6):
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


# A fixed secret (base32) the tests give an account's authenticator.
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
