"""Copy the curated screenshots of the browser tests into docs/images/, scaled down.

    python -m pytest tests/browser        # writes test-artifacts/screenshots/
    python docs/refresh_screenshots.py    # needs Pillow (pip install pillow)

Each page is scaled to 640 pixels wide and reduced to a 64-colour palette: the flat colours of
the pages survive, and the whole set stays a few hundred kilobytes in the repository.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "test-artifacts" / "screenshots"
TARGET = ROOT / "docs" / "images"
WIDTH = 640

#: Screenshot (as the browser test names it) → image name in the docs.
CURATED = {
    "en-01-home": "home",
    "en-02-signup": "signup",
    "en-03-signup-code": "signup-code",
    "en-04-signup-wrong-code": "signup-wrong-code",
    "en-05-signup-details": "signup-details",
    "en-07-profile": "update-userinfo",
    "en-08-profile-code": "update-userinfo-code",
    "en-09-profile-saved": "update-userinfo-saved",
    "en-10-logout": "logout",
    "en-11-signed-out": "signed-out",
    "en-12-login": "login",
    "en-13-login-code": "login-code",
    "en-14-account": "account",
    "en-16-reset": "reset-password",
    "en-18-new-password": "reset-password-new",
    "en-19-login-wrong-password": "login-wrong-password",
    "en-error-csrf": "error-csrf",
    "zh-CN-12-login": "login-zh-CN",
    "zh-CN-03-signup-code": "signup-code-zh-CN",
}


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for source, target in CURATED.items():
        with Image.open(SOURCE / f"{source}.png") as image:
            height = round(image.height * WIDTH / image.width)
            small = image.convert("RGB").resize((WIDTH, height), Image.Resampling.LANCZOS)
            small = small.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
            small.save(TARGET / f"{target}.png", optimize=True)
    total = sum(p.stat().st_size for p in TARGET.glob("*.png"))
    print(f"{len(CURATED)} screenshots in {TARGET}, {total // 1024} KiB")


if __name__ == "__main__":
    main()
