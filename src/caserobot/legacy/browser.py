"""Headless Chromium for the robots, driven by Playwright: Debian's chromium-headless-shell
(Chromium's old headless mode, the build Playwright itself uses headless) when installed,
else Debian's full /usr/bin/chromium. Never a browser downloaded by Playwright."""

from __future__ import annotations

from playwright.async_api import Browser, Playwright, async_playwright

from caserobot.exceptions import ConfigurationError
from caserobot.settings import FULL_CHROMIUM, HEADLESS_SHELL, BrowserSettings

# Measured on 2 cores (../shared/STACK.md): these flags start cleanly offline;
# --single-process crashes.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-features=BackForwardCache,Translate,MediaRouter,OptimizationHints,"
    "ProactivelySwapBrowsingInstance,SpareRendererForSitePerProcess,RenderDocument",
    "--disable-extensions",
    "--blink-settings=imagesEnabled=false",
]


async def launch(settings: BrowserSettings) -> tuple[Playwright, Browser]:
    """Start Playwright and one Chromium. Close both with :func:`shutdown`."""
    if not settings.executable_path:
        raise ConfigurationError(
            "CASEROBOT_BROWSER__EXECUTABLE_PATH",
            "ingen Chromium hittades; kör scripts/bootstrap.sh (installerar Debians chromium)",
        )
    if not settings.headless and settings.executable_path == HEADLESS_SHELL:
        raise ConfigurationError(
            "CASEROBOT_BROWSER__HEADLESS",
            f"{HEADLESS_SHELL} kan inte visa något fönster: sätt "
            f"CASEROBOT_BROWSER__EXECUTABLE_PATH={FULL_CHROMIUM}",
        )
    pw = await async_playwright().start()
    browser = await pw.chromium.launch(
        executable_path=settings.executable_path, headless=settings.headless, args=CHROMIUM_ARGS
    )
    return pw, browser


async def shutdown(pw: Playwright, browser: Browser) -> None:
    try:
        await browser.close()
    finally:
        await pw.stop()
