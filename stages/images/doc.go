// Package images turns pictures into the float32 N×C×H×W arrays that
// eigenlab's image stages consume: decoding JPEG/PNG/GIF files with errors
// that name the file, resizing (Catmull-Rom) and cropping, the dead-leaves
// generator of natural-like images, the IDX reader for fashion-mnist, and
// the curated list of real photos of DATA.md §1.2 with patch sampling.
// It knows nothing of stages, parameters or caching.
//
// # Pixel conventions
//
// Every decoded image is first made an 8-bit *image.RGBA (Canonical):
// grey images become R = G = B, paletted and 16-bit images are reduced to
// 8 bits, and transparent pixels are composited on black (RGBA is
// premultiplied); EXIF orientation is ignored (pixels as stored), as by
// Go's image/jpeg; a GIF gives its first frame. Resizing, cropping and patch statistics work on that form.
// Planar then writes C×H×W float32 in the unit range v/255 ∈ [0, 1]:
//
//   - 3 channels: R, G, B in that order (a grey image is replicated);
//   - 1 channel: ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B (exactly the
//     grey value when R = G = B).
//
// Normalize then maps the unit range to the convention a model expects:
//
//	unit       u                 ∈ [0, 1]   (default)
//	symmetric  2u − 1            ∈ [−1, 1]  (Keras MobileNetV2 / InceptionV3 "preprocess_input")
//	imagenet   (u − mean_c)/std_c           mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225);
//	                                        one channel: the BT.601-weighted means 0.4590 and 0.2256
//
// Dead-leaves images are made directly in the unit range (no 8-bit step).
package images
