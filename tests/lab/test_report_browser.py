"""The HTML report in a real browser, at a phone's width and a desktop's.

Headless Chromium from Debian's ``chromium`` and ``chromium-driver`` packages (``make test`` installs
them), driven by Selenium; nothing is downloaded at run time: the driver and the browser are given
by path and Selenium Manager is told to stay offline.  The report holds the longest metrics the lab
writes (a 2,000-character table of configurations, long check names, a long traceback, a long
command line, a wide figure), which once made the page 15,000 px wide.
"""

from __future__ import annotations

import io
import os
import shutil

import pytest

from physml.lab import Check, Result, write_report
from physml.lab._format import format_value

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# a phone (412 CSS px, as a Pixel 7; emulated as a phone, so that the page's viewport meta counts and
# a page too wide is zoomed out), a window as narrow on a desktop, and a desktop
VIEWPORTS = [(412, True), (412, False), (1400, False)]
VIEWPORT_IDS = ["phone-412", "window-412", "desktop-1400"]

pytestmark = pytest.mark.slow


def _browser_missing_reason() -> str | None:
    """Why the test cannot have a browser here, or None where it must run."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return None
    can_install = shutil.which("apt-get") and (os.geteuid() == 0 or shutil.which("sudo"))
    if can_install:
        pytest.fail(f"{', '.join(missing)} missing: run 'make browser' "
                    "(apt-get install chromium chromium-driver)")
    return (f"{', '.join(missing)} missing and cannot be installed here (no apt-get, or neither root nor "
            "sudo): install Debian's chromium and chromium-driver to run it")


def _png(width_px: int, height_px: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width_px, height_px), (40, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def _configurations() -> list[dict]:
    """The shape of criticality-kernel's ``configurations`` metric, with its lengths."""
    rows = []
    for act, cw in (("tanh", 1.0), ("tanh", 0.5), ("relu", 2.0), ("relu", 2.6), ("relu", 1.4)):
        k = [0.9937054003730742 * (cw / 2 + 0.5) ** i for i in range(6)]
        rows.append({"activation": act, "C_b": 0.0, "C_W": cw, "expected": "critical",
                     "K_measured": k, "K_err": [0.0099005 * x for x in k], "K_recursion": k,
                     "chi_parallel": [cw * 0.98765432101] * 6, "chi_perp": [cw * 1.0123456789] * 6,
                     "recursion_behaviour": "vanishing towards the trivial fixed point"})
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run = tmp_path_factory.mktemp("browser") / "run"
    long_name = "relu C_W=2: ln K^(6)/K^(1) = 0 (scale-invariant fixed line), measured over 200 members"
    wide = Result(
        "criticality-kernel",
        "The measured kernel K^(ℓ) = E[z²] of tanh and ReLU networks follows the infinite-width recursion "
        "K^(ℓ+1) = C_b + C_W⟨σ²⟩_K over depth: at criticality it neither explodes nor vanishes.",
        "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023); Roberts, Yaida & "
        "Hanin, arXiv:2106.10165, https://arxiv.org/abs/2106.10165/an-address-without-any-space-to-break-at",
        "quick",
        {"width": 96, "layers": [f"layer {i}: tanh, width 96" for i in range(40)],
         "a_long_parameter_name_without_spaces_" * 3: "x" * 300},
        0,
        seconds=7.2,
        versions={"python": "3.11.7", "platform": "Linux-6.18.44-fc-v1300-x86_64-with-glibc2.36"},
        provenance={"command": "physml run criticality-kernel --quick --out " + "/very/long/path" * 20,
                    "physml": "0.1.0", "git": {"revision": "9c498fc998f30d976fa548526b32535e84d20cdd",
                                               "dirty": True},
                    "cpu": {"model": "AMD EPYC", "vector": ["avx2", "fma", "avx512f", "avx512_bf16"],
                            "cores": 2},
                    "threads": {"OMP_NUM_THREADS": "1"},
                    "executor": {"kind": "InlineExecutor", "workers": 1}},
        checks=[Check(f"{long_name} #{i}", 1.0 + 1e-7 * i, 1.0, 1.5e-9, 3e-9 if i % 4 else 1e-9)
                for i in range(24)],
        metrics={"configurations": _configurations(), "sigma_multiple": 3.28926,
                 "digest": "f" * 400, "a_metric_name_that_is_much_longer_than_any_column_" * 2: 1},
        figures=["kernel.png"],
    )
    broken = Result("error-case", "It raises.", "—", "quick", {}, 1,
                    error="Traceback (most recent call last):\nValueError: " + "x" * 600)
    short = Result("short", "Short.", "A talk", "quick", {"n": 1}, 2, checks=[Check("ok", 1.0, 1.0)])
    for r in (wide, broken, short):
        (run / r.name).mkdir(parents=True)
        (run / r.name / "result.json").write_text(r.to_json(), encoding="utf-8")
    (run / "criticality-kernel" / "kernel.png").write_bytes(_png(2400, 700))
    assert len(format_value(wide.metrics["configurations"])) >= 2020  # as long as the real one
    return write_report(run)


@pytest.fixture(scope="module")
def browser():
    reason = _browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    with pytest.MonkeyPatch.context() as mp:
        # the driver's path skips Selenium Manager; were it consulted, it must not download anything
        mp.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        assert driver.service.path == CHROMEDRIVER
        yield driver
        driver.quit()


def _load(driver, path, width, mobile):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile})
    driver.get(path.as_uri())


def _widths(driver):
    return driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize(("width", "mobile"), VIEWPORTS, ids=VIEWPORT_IDS)
def test_report_fits_the_screen(browser, report, width, mobile):
    _load(browser, report, width, mobile)
    scroll, inner = _widths(browser)
    # a phone zooms a page that is too wide out: its window then grows past the screen's width
    assert scroll <= inner == width, f"the page is {scroll} px wide in a {width} px window ({inner} px)"
    # opening every folded value must not widen the page either
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    scroll, inner = _widths(browser)
    assert scroll <= inner == width, f"with the long values open the page is {scroll} px wide ({width} px)"


@pytest.mark.parametrize(("width", "mobile"), VIEWPORTS, ids=VIEWPORT_IDS)
def test_verdicts_results_and_figures_are_on_screen(browser, report, width, mobile):
    from selenium.webdriver.common.by import By

    _load(browser, report, width, mobile)
    # where it is and in how many pieces (an inline element broken over two lines has two boxes)
    rect = ("const r = arguments[0].getBoundingClientRect(); "
            "return [r.left, r.right, r.width, arguments[0].getClientRects().length];")
    verdicts = browser.find_elements(By.CSS_SELECTOR, ".verdict")
    assert len(verdicts) == 6  # three in the summary, one by each experiment's title
    outcomes = browser.find_elements(By.CSS_SELECTOR, ".pass, .fail")
    assert len(outcomes) == 25
    figures = browser.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(figures) == 1
    for element in verdicts + outcomes + figures:
        assert element.is_displayed(), element.text
        left, right, w, pieces = browser.execute_script(rect, element)
        assert w > 0 and left >= 0 and right <= width, (element.text, left, right, width)
        assert pieces == 1 or element.tag_name == "img", f"{element.text!r} is broken over {pieces} lines"
    assert {v.text for v in verdicts} == {"reproduced", "not reproduced", "error"}


def test_long_values_are_folded_with_a_summary(browser, report):
    from selenium.webdriver.common.by import By

    _load(browser, report, *VIEWPORTS[0])
    folded = browser.find_elements(By.CSS_SELECTOR, "td details")
    assert len(folded) == 4  # configurations, digest, the long list and the long string parameter
    for d in folded:
        summary = d.find_element(By.TAG_NAME, "summary")
        assert summary.is_displayed() and len(summary.text) <= 100
        assert not d.find_element(By.TAG_NAME, "pre").is_displayed()  # folded until opened


def test_long_names_do_not_squeeze_their_values(browser, report):
    """On a desktop a name without spaces wraps in its own column; the value keeps most of the row."""
    _load(browser, report, *VIEWPORTS[2])
    shares = browser.execute_script(
        "return [...document.querySelectorAll('table.metrics td, table.params td')].map("
        "td => td.getBoundingClientRect().width / td.closest('table').getBoundingClientRect().width)")
    assert len(shares) == 8 and min(shares) > 0.6, shares
