"""Benchmark: OCR time per page of scanned letters on this machine (the mail room's `mailroom.ocr`).

    .venv/bin/python bench/ocr.py              # 5 generated A4 pages at 300 dpi
    .venv/bin/python bench/ocr.py --pages 10

Generates full A4 letter pages (300 dpi, DejaVu Serif 11 pt, French text with accents), then times, page by
page, the three ways a letter is read: an image page (PNG: Tesseract), a scanned PDF page (pdftoppm at 300 dpi,
then Tesseract) and a typed PDF page (its text layer, no OCR). Prints the seconds of each page, the median and
the total (wall clock, and processor time, which does not depend on the machine's load), and checks that key
words were read back.
"""

import argparse
import io
import os
import resource
import statistics
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")

PARAGRAPHS = [
    "Madame la Maire,",
    "Je me permets de vous écrire au sujet d'un dépôt sauvage d'ordures qui s'est formé rue de l'Église, à "
    "l'angle de la place du Marché, devant le numéro {n}. Depuis trois semaines, des sacs, des cartons et même "
    "un réfrigérateur s'y accumulent ; l'odeur devient insupportable et les enfants qui vont à l'école passent "
    "juste à côté.",
    "J'ai déjà signalé ce problème par téléphone à l'accueil de la mairie le 14 novembre, sans suite à ce jour. "
    "Pourriez-vous faire intervenir les services techniques pour l'enlèvement de ces déchets et envisager "
    "l'installation d'une caméra ou d'un panneau rappelant l'interdiction des dépôts ?",
    "Je reste à votre disposition pour tout renseignement complémentaire et vous prie d'agréer, Madame la Maire, "
    "l'expression de mes salutations distinguées.",
    "Claude Dupont, 3 rue de l'Église, 54470 Saint-Aubin — téléphone : 03 83 12 34 56",
]
KEY_WORDS = ["dépôt", "sauvage", "Église", "réfrigérateur", "salutations"]


def page_image(number):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 46)  # 11 pt at 300 dpi
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    draw.text((1500, 250), "Saint-Aubin, le 2 décembre 2026", font=font, fill=0)
    draw.text((250, 500), f"Objet : dépôt sauvage rue de l'Église (page {number})", font=font, fill=0)
    y = 700
    for paragraph in PARAGRAPHS:
        for line in textwrap.wrap(paragraph.format(n=10 + number), 72):
            draw.text((250, y), line, font=font, fill=0)
            y += 66
        y += 50
    return image


def typed_pdf(number):
    from weasyprint import HTML

    body = "".join(f"<p>{paragraph.format(n=10 + number)}</p>" for paragraph in PARAGRAPHS)
    return HTML(string=f"<html><body style='font: 11pt serif'>{body}</body></html>").write_pdf()


def _cpu():
    """Processor seconds used so far by this process and the tools it ran (independent of the machine's load)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5)
    options = parser.parse_args()

    import django

    django.setup()
    from guichet.mailroom import ocr

    missing = ocr.tools_missing()
    if missing:
        sys.exit(f"Outils absents : {', '.join(missing)} (make system-deps)")
    print(f"{os.cpu_count()} processeurs ; pages A4 à 300 dpi ; Tesseract en français, un fil par lecture")
    timings = {"image PNG (Tesseract)": [], "PDF numérisé (pdftoppm + Tesseract)": [], "PDF tapé (couche texte)": []}
    cpu_timings = {label: [] for label in timings}
    for number in range(1, options.pages + 1):
        image = page_image(number)
        png, pdf = io.BytesIO(), io.BytesIO()
        image.save(png, "PNG", dpi=(300, 300))
        image.save(pdf, "PDF", resolution=300)
        for label, content in zip(timings, (png.getvalue(), pdf.getvalue(), typed_pdf(number)), strict=True):
            started, cpu_started = time.perf_counter(), _cpu()
            result = ocr.read_document(content)
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu_started
            timings[label].append(seconds)
            cpu_timings[label].append(cpu)
            found = sum(word.lower() in result.text.lower() for word in KEY_WORDS)
            status = ",".join(page.status for page in result.pages) or result.reason
            print(f"page {number} — {label:38} {seconds:6.2f} s (processeur {cpu:5.2f} s)  [{status}] "
                  f"mots retrouvés {found}/{len(KEY_WORDS)}")
    print()
    for label, values in timings.items():
        print(f"{label:40} médiane {statistics.median(values):5.2f} s/page (processeur "
              f"{statistics.median(cpu_timings[label]):5.2f} s), total {sum(values):6.2f} s pour {len(values)} pages")
    print(f"charge de la machine (1 min) : {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
