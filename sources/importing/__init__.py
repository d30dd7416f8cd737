"""Import sources from BibTeX and RIS files, with a preview of every row before saving.

Three steps, one module each: `reading` turns a file into rows of Source field values and
authors (parse_bibtex, parse_ris); `planning` decides, row by row, whether each would
create a source, update one (matched by DOI, then by key) or be refused, and why
(plan_import); `saving` saves a plan (sources_import). The preview and the real run share
plan_import(), so what the editor confirms is what gets saved.
"""

from genetx.imports import ImportFileError

from .planning import ImportPlan, PlannedRow, plan_import
from .reading import SourceRow, parse, parse_bibtex, parse_ris, read_upload
from .saving import ImportResult, sources_import

__all__ = [
    "ImportFileError",
    "ImportPlan",
    "ImportResult",
    "PlannedRow",
    "SourceRow",
    "parse",
    "parse_bibtex",
    "parse_ris",
    "plan_import",
    "read_upload",
    "sources_import",
]
