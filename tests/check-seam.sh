#!/bin/sh
# check-seam: proves at link level that the node core reaches the outside
# world only through the environment seam. Every symbol the node library
# needs from outside must be on the allowlist below: memory and string
# functions of libc (vsnprintf as snprintf, for interop's messages; strtod too: base/json reads back the reals it
# writes), and libsodium's deterministic primitives. Anything else (time,
# clock_gettime, rand, getrandom, socket, read, fopen, randombytes_buf,
# ...) fails the check and is named.
# Usage: check-seam.sh path/to/libswarmlab-node.a
lib=${1:?usage: check-seam.sh LIB}
[ -f "$lib" ] || { echo "check-seam: no library $lib"; exit 1; }
defined=$(nm --defined-only -g "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
needed=$(nm -u "$lib" 2>/dev/null | awk '{print $2}' | sort -u)
bad=""
for sym in $needed; do
  case "$sym" in
    malloc|calloc|realloc|free|memcpy|memmove|memcmp|bcmp|memchr|memset|strlen|strnlen|strcmp|strncmp|strchr|strrchr|strdup|snprintf|vsnprintf|strtod|__assert_fail|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_) continue ;;
    __asan_*|__ubsan_*|__sanitizer_*|__memcpy_chk|__memset_chk|__snprintf_chk|__strcpy_chk) continue ;;
    randombytes*|sodium_init) bad="$bad $sym" ; continue ;;
    crypto_*|sodium_memzero|sodium_memcmp|sodium_is_zero) continue ;;
  esac
  if printf '%s\n' "$defined" | grep -qx "$sym"; then continue; fi
  bad="$bad $sym"
done
if [ -n "$bad" ]; then
  echo "check-seam: node/ reaches outside the seam through:$bad"
  exit 1
fi
echo "check-seam: node/ needs only libc memory/string functions and libsodium primitives ($(printf '%s\n' "$needed" | wc -l) symbols checked)"
