"""One upload limit for every import (CSV, BibTeX, RIS), checked on what is read."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from genetx.imports import MAX_IMPORT_BYTES, ImportFileError, read_bounded


class LyingUpload(io.BytesIO):
    """A file whose declared size is smaller than its content, as a hostile client may send."""

    name = "refs.bib"
    size = 10


def test_a_file_at_the_limit_is_read_and_rewound():
    upload = SimpleUploadedFile("refs.bib", b"x" * MAX_IMPORT_BYTES)
    assert len(read_bounded(upload)) == MAX_IMPORT_BYTES
    assert upload.read(1) == b"x"


def test_a_declared_oversize_file_is_refused_before_reading():
    upload = SimpleUploadedFile("refs.bib", b"x" * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(ImportFileError, match="the limit is 2 MB"):
        read_bounded(upload)


def test_a_file_bigger_than_it_claims_is_refused_after_one_byte_too_many():
    upload = LyingUpload(b"x" * (MAX_IMPORT_BYTES + 5000))
    with pytest.raises(ImportFileError, match="Split it into smaller files"):
        read_bounded(upload)
    assert upload.tell() == 0
