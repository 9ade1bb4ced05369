#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver when they are missing: the web console's end-to-end tests drive that
# browser headless (Playwright, pointed at /usr/bin/chromium; no test downloads a browser). Used by ./test.sh.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "Chromium missing: installing chromium and chromium-driver"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
