# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # junoproc quick start
#
# This notebook runs every stage of junoproc on the embedded sample, a simulated
# PJ57-like close approach to Io, so it needs no download. Swap `load_sample(...)` for
# `junoproc.load("path/to/JNCE_..._V01")` to use a real product from the mission website
# or the PDS.

# %%
import numpy as np

import junoproc
from junoproc.calibrate import CameraCorrections
from junoproc.data import load_sample

raw = load_sample("io-pj57")
meta = raw.metadata
print(meta.product_id, meta.filters, meta.n_frames, "frames")
print("start", meta.start_time.isot, "exposure", meta.exposure_s, "s")
print("strip", raw.data.shape, raw.data.dtype)

# %% [markdown]
# ## Decompand
# The raw strip holds 8-bit square-root companded codes. `decompand` applies the exact
# table (codes 0..255 to DN 0..2879), never the square law.

# %%
linear = junoproc.decompand(raw.data, mode=meta.companding)
print(linear.dtype, float(linear.min()), float(linear.max()))

# %% [markdown]
# ## Separate the filters
# Each frame holds one 128-row framelet per filter, in `FILTER_NAME` order.

# %%
stacks = junoproc.separate_filters(linear, meta)
for name, stack in stacks.items():
    print(name, stack.data.shape, "first frame at", stack.times[0].isot)

# %% [markdown]
# ## A quick look, then the real stitch
# The quick look only stacks framelets: colours are misregistered and seams show.
# `process` renders the framelets geometrically with a spin model fitted to the image.

# %%
quick = junoproc.quicklook_composite(stacks)
# The sample was simulated with the IK's nominal camera, so we process it with that model;
# real products start from the corrections junoproc measured on JunoCam (the default).
nominal = CameraCorrections()
result = junoproc.process(raw, view="perspective", corrections=nominal)
print("quick look", quick.shape, "stitched", result.image.shape)
print("fitted spin rate", round(result.report["spin_fit"]["spin_rate_deg_s"], 4), "deg/s")
print("colour misregistration", result.report["quality"]["misregistration"]["median_px"], "px")

# %% [markdown]
# ## Stretch and write
# `stretch` is a thin layer over `astropy.visualization`; `save` adds the coverage as an
# alpha channel and records the metadata and processing history in the file.

# %%
picture = junoproc.stretch(
    result.image, method="asinh", mask=result.coverage > 0, out_dtype=np.uint8
)
print(picture.shape, picture.dtype)
path = junoproc.save(result, "quickstart-io.png", overwrite=True)
print("wrote", path)

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plots are optional
    plt = None
if plt is not None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    axes[0].imshow(junoproc.stretch(quick[::4, ::4], out_dtype=np.uint8))
    axes[0].set_title("quick look (no geometry)")
    axes[1].imshow(picture)
    axes[1].set_title("spin-model stitch, perspective view")
    for ax in axes:
        ax.axis("off")
