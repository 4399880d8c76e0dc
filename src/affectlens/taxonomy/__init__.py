"""Label sets (taxonomies) as versioned data, and mapping between them."""

from affectlens.taxonomy.mapping import (
    LabelMapping,
    map_label,
    map_label_sets,
    mapping_matrix,
    noisy_or,
)
from affectlens.taxonomy.model import (
    Label,
    Taxonomy,
    list_taxonomies,
    load_taxonomy,
    parse_taxonomy_name,
)

__all__ = [
    "Label",
    "LabelMapping",
    "Taxonomy",
    "list_taxonomies",
    "load_taxonomy",
    "map_label",
    "map_label_sets",
    "mapping_matrix",
    "noisy_or",
    "parse_taxonomy_name",
]
