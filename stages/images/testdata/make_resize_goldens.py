"""Resize goldens for stages/images (TestResizeGoldenPIL).

Run with Debian's Python (python3-pil 9.4): /usr/bin/python3 make_resize_goldens.py
from stages/images/testdata. Reads gradient.png and noise.png (written by
gen_fixtures.go) and writes pil_<name>_<w>x<h>.png resized with PIL's
Image.resize(..., Image.BICUBIC, reducing_gap=None): a cubic convolution with
a = -0.5 whose support is widened by the scale factor when shrinking, the same
filter as golang.org/x/image/draw.CatmullRom. go test reads the PNGs only.

PIL rounds and clips to 8 bits between its horizontal and vertical passes;
x/image keeps float64 in between. On smooth images the two agree within one
level; on noise, whose first pass overshoots [0, 255], a two-pass resize may
differ by more than ten levels at a few pixels, a single-pass one by one.
"""
from PIL import Image

# Sizes relative to gradient.png (40x30) and noise.png (48x40); the last three
# change one axis of noise.png only, so PIL makes a single pass.
SIZES = {
    "gradient": [(17, 13), (40, 30), (64, 48), (24, 20), (7, 31)],
    "noise": [(17, 13), (40, 30), (64, 48), (24, 20), (7, 31), (17, 40), (48, 13), (80, 40)],
}

for name, sizes in SIZES.items():
    src = Image.open(f"{name}.png").convert("RGB")
    for w, h in sizes:
        src.resize((w, h), Image.BICUBIC).save(f"pil_{name}_{w}x{h}.png")
