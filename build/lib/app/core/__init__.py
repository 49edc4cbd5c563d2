"""The shared kernel every slice may import: who asks (Actor), domain errors, texts in Danish
and English, keyset pagination, images, logs, the runtime and the generic loader helpers."""
