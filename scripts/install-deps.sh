#!/bin/sh
# Installs what sfci needs to build and test on Debian 12, with apt-get.
# Runs apt-get through sudo unless it already runs as root.
set -eu

packages="
    build-essential meson ninja-build pkg-config git
    libssl-dev libyaml-dev libxml2-dev libzip-dev libjansson-dev
    libcurl4-openssl-dev libsodium-dev
    libcmocka-dev libmicrohttpd-dev curl zip
    openssl jq bsdutils perl clang-format valgrind
"

if [ "$(id -u)" -eq 0 ]; then
    sudo=
else
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
