"""Load a standard Federation v2 supergraph SDL into a model and the client-facing API schema."""

from router.supergraph.errors import SupergraphError
from router.supergraph.model import FieldInfo, Key, TypeInfo
from router.supergraph.supergraph import Supergraph

__all__ = ["FieldInfo", "Key", "Supergraph", "SupergraphError", "TypeInfo"]
