# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Helpers for the browser tests: a demo database, trytond serving the web
client, and Debian's Chromium driven by Playwright.

``make test-browser`` sets ``CC_SAO_ROOT`` (the unpacked tryton-sao) and
``CC_CHROMIUM``; a test skips when either is missing.
"""
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from ..demo.build import ADMIN_LOGIN, ADMIN_PASSWORD, trytond_env
from ..demo.serve import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
ARTIFACTS = os.path.join(ROOT, 'artifacts', 'browser')
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-quic', '--no-first-run',
    '--disable-component-update', '--disable-sync',
    ]
DATABASE = 'browser'
TIMEOUT = 30 * 1000  # milliseconds


def chromium_path():
    return os.environ.get('CC_CHROMIUM', '/usr/bin/chromium')


def sao_root():
    return os.environ.get(
        'CC_SAO_ROOT', os.path.join(ROOT, '.cache', 'sao'))


def missing_requirements():
    "Return why the browser tests cannot run, or an empty string"
    if not os.access(chromium_path(), os.X_OK):
        return f"{chromium_path()} not found"
    if not os.path.exists(os.path.join(sao_root(), 'index.html')):
        return f"web client not installed in {sao_root()} (make install)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return ''


def build_database(directory, port, database=DATABASE):
    "Build a demo database in directory and return its config file"
    config = os.path.join(directory, 'trytond.conf')
    subprocess.run([
            sys.executable, '-m', 'trytond.modules.cloud_commerce.demo.build',
            '--config', config,
            '--database-dir', os.path.join(directory, 'db'),
            '--database', database,
            '--sao-root', sao_root(),
            '--listen', f'127.0.0.1:{port}',
            ], check=True, env=build_env())
    return config


def build_env():
    "Environment of the build: its own config file, no database override"
    env = dict(os.environ)
    for name in ['TRYTOND_CONFIG', 'TRYTOND_DATABASE_URI']:
        env.pop(name, None)
    return env


def wait_for_http(url, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"trytond exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@contextlib.contextmanager
def tryton_server(config, port, log_path, database=DATABASE):
    "Run trytond on config and yield its base URL"
    command = os.path.join(os.path.dirname(sys.executable), 'trytond')
    with open(log_path, 'w') as log:
        # -d loads the pool at start (a lazy load fails on SQLite)
        process = subprocess.Popen(
            [command, '-c', config, '-d', database],
            env=trytond_env(config), stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f'http://127.0.0.1:{port}/'
            wait_for_http(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def demo_server():
    "Build a fresh demo database, serve it and yield the base URL"
    with tempfile.TemporaryDirectory(prefix='cc-browser-') as directory:
        port = free_port()
        config = build_database(directory, port)
        os.makedirs(ARTIFACTS, exist_ok=True)
        log_path = os.path.join(ARTIFACTS, 'trytond.log')
        with tryton_server(config, port, log_path) as url:
            yield url


@contextlib.contextmanager
def chromium():
    "Yield a Playwright browser context on Debian's Chromium"
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix='cc-chromium-') as profile, \
            sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), headless=True,
            args=CHROMIUM_ARGS, viewport={'width': 1280, 'height': 800})
        context.set_default_timeout(TIMEOUT)
        try:
            yield context
        finally:
            context.close()


def screenshot(page, name):
    "Save a PNG of the page under artifacts/browser/ and return its path"
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f'{name}.png')
    page.screenshot(path=path)
    return path


def login(page, base_url, database=DATABASE, user=ADMIN_LOGIN,
        password=ADMIN_PASSWORD):
    "Log into the web client through its login and password dialogs"
    page.goto(f'{base_url}#{database}')
    page.locator('#login').fill(user)
    page.locator('.login-dialog button[type=submit]').click()
    password_input = page.locator('input[type=password]:visible')
    password_input.fill(password)
    password_input.press('Enter')
    menu_entry(page, 'Sales').wait_for()


def menu_entry(page, name):
    "Return the locator of the visible menu row named name"
    return page.locator('#menu tr').filter(
        has=page.locator(f'div.column-char[title="{name}"]')).first


def open_menu(page, *names):
    "Expand the menu tree along names and return the last row's locator"
    for name in names[:-1]:
        menu_entry(page, name).locator('.expander').click()
    entry = menu_entry(page, names[-1])
    entry.wait_for()
    return entry


# --- the web client's screens (sao 8.0) ------------------------------------

def current_tab(page):
    "Locator of the tab the web client shows"
    return page.locator('#tabcontent > .tab-pane.active')


def settle(page, delay=300):
    "Wait until the web client has no request in flight"
    page.wait_for_timeout(delay)
    page.locator('#processing').wait_for(state='hidden')


def open_action(page, *names):
    """Open the menu entry at the end of names, expanding the folders on
    the way, and return its tab"""
    def rows(name):
        return page.locator('#menu tr').filter(has=page.locator(
                f'div.column-char[title="{name}"]'))

    # Under a sub-folder (Trash > Customers) the entry has a namesake
    # above it: expect two rows and take the last one
    nested = len(names) > 4
    for index, (name, child) in enumerate(zip(names, names[1:])):
        needed = 2 if nested and index == len(names) - 2 else 1
        menu_entry(page, name).wait_for()
        if rows(child).count() < needed:
            rows(name).last.locator('.expander').click()
            rows(child).nth(needed - 1).wait_for()
    before = page.locator('#tablist > li').count()
    entries = rows(names[-1])
    (entries.last if nested else entries.first).locator(
        'div.column-char').click()
    page.locator('#tablist > li').nth(before).wait_for()
    settle(page)
    return current_tab(page)


def screen_tabs(page):
    "Locator of the action's domain tabs (Fully Matched, Not Matched ...)"
    return current_tab(page).locator('.nav-tabs').first


def click_screen_tab(page, name):
    current_tab(page).locator('.nav-tabs a', has_text=name).first.click()
    settle(page)


def list_rows(page):
    return current_tab(page).locator('table.tree tbody tr:visible')


def toolbar(page, name):
    "A button of the tab's toolbar: new_, save, switch_, action, export..."
    return current_tab(page).locator(f'nav button#{name}')


def field(page, name, scope=None):
    return (scope or current_tab(page)).locator(
        f'[name="{name}"]:visible').first


def set_many2one(page, name, text, scope=None):
    "Type text in a many2one and let the web client pick the only match"
    entry = field(page, name, scope)
    entry.fill(text)
    entry.press('Tab')
    settle(page)
    # A search dialog opens when several records match: take the first
    dialog = page.locator('.modal-dialog:visible')
    if dialog.count():
        dialog.locator('table.tree tbody tr').first.dblclick()
        settle(page)


def add_many2many(page, name, text, scope=None):
    "Search text in a many2many's entry and add the record found"
    entry = field(page, name, scope)
    entry.fill(text)
    entry.locator('xpath=..').locator('button[title="Add"]').click()
    settle(page)
    dialog = page.locator('.modal-dialog:visible')
    if dialog.count():
        dialog.locator('table.tree tbody tr').first.locator(
            'td').nth(2).click()
        dialog.locator('.modal-footer button', has_text="OK").click()
        settle(page)


def close_tab(page):
    toolbar_close = current_tab(page).locator('nav a#close')
    if toolbar_close.count():
        page.locator('#tablist > li.active .close').first.click()
    settle(page)
