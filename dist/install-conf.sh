#!/bin/sh
# install-conf.sh SRC CONFDIR - meson install script: installs the example
# configuration as CONFDIR/exfilmon.conf (under $DESTDIR) unless a file is
# already there, so `ninja install` never overwrites an edited config.
set -eu
src=$1
dest="${DESTDIR:-}$2/exfilmon.conf"
if [ -e "$dest" ]; then
    echo "exfilmon: keeping the existing $dest (example: $src)"
    exit 0
fi
install -D -m 0644 "$src" "$dest"
echo "Installing $src to $dest"
