#pragma once
// SHA-256 from the system's libcrypto (OpenSSL 3, Debian's libssl-dev). The SHA256_* calls
// keep their state in a plain C struct, so a hash in progress copies as a value, as Swift
// code expects; OpenSSL 3 marks them deprecated in favour of EVP_* (whose state is a heap
// object), which is why the deprecation is suppressed here.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
