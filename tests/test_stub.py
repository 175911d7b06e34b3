"""nativesockets/_native.pyi against the compiled module: the stub may not drift from the cdefs.
Names for one platform only go under `if sys.platform == "win32":` (else: POSIX) in the stub.

Every name of ``lib`` is declared in the stub's ``Lib`` with the right kind (constant or
function), arity, and C kind of each argument and result (a C integer is ``int`` in the stub,
a pointer is not); every struct class names its C struct in its docstring and declares only
fields that struct has; every C type the stub's ``ffi.new``/``ffi.cast`` overloads name exists.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import nativesockets
from nativesockets._ffi import ffi, lib

STUB = Path(nativesockets.__file__).with_name("_native.pyi")
TREE = ast.parse(STUB.read_text())
CLASSES = {node.name: node for node in TREE.body if isinstance(node, ast.ClassDef)}
INTEGER = {"int", "bool"}


def this_platform(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that apply here: `if sys.platform == "win32":` blocks are resolved."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "sys.platform == 'win32'":
            out += this_platform(node.body if sys.platform == "win32" else node.orelse)
        else:
            out.append(node)
    return out


def members(cls: ast.ClassDef) -> dict[str, ast.AnnAssign | ast.FunctionDef]:
    out: dict[str, ast.AnnAssign | ast.FunctionDef] = {}
    for node in this_platform(cls.body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
        elif isinstance(node, ast.FunctionDef) and not node.name.startswith("__"):
            out.setdefault(node.name, node)
    return out


LIB = members(CLASSES["Lib"])
RUNTIME = {name for name in dir(lib) if not name.startswith("__")}


def kind_of(annotation: ast.expr | None) -> str:
    """'int' for a C integer in the stub, 'void' for None, 'pointer' for anything else."""
    text = ast.unparse(annotation) if annotation is not None else "None"
    text = re.sub(r"^Final\[(.*)\]$", r"\1", text)
    if text in INTEGER:
        return "int"
    return "void" if text == "None" else "pointer"


def c_kind(ctype: Any) -> str:
    kind = ctype.kind
    if kind == "primitive":
        return "int"
    return "void" if kind == "void" else "pointer"


def test_every_lib_name_is_in_the_stub() -> None:
    assert sorted(RUNTIME - set(LIB)) == []


def test_the_stub_names_nothing_lib_lacks() -> None:
    assert sorted(set(LIB) - RUNTIME) == []


@pytest.mark.parametrize("name", sorted(RUNTIME))
def test_lib_name_has_the_stubs_kind_and_signature(name: str) -> None:
    value = getattr(lib, name)
    node = LIB[name]
    if isinstance(node, ast.AnnAssign):
        assert type(value) is int
        assert kind_of(node.annotation) == "int"
        return
    assert callable(value)
    ctype = ffi.typeof(value)
    args = node.args.posonlyargs + node.args.args
    assert args[0].arg == "self"
    stub_args = [kind_of(a.annotation) for a in args[1:]]
    assert stub_args == [c_kind(a) for a in ctype.args]
    assert kind_of(node.returns) == c_kind(ctype.result)


STRUCTS = []
for _cls in CLASSES.values():
    _doc = ast.get_docstring(_cls) or ""
    _match = re.match(r"``(struct \w+)``", _doc)
    if _match:
        STRUCTS.append((_cls.name, _match.group(1)))


def test_the_stub_types_the_structs_the_package_reads() -> None:
    assert {c for _, c in STRUCTS} >= {
        "struct sockaddr",
        "struct sockaddr_in",
        "struct sockaddr_in6",
        "struct sockaddr_un",
        "struct sockaddr_storage",
        "struct addrinfo",
        "struct ns_name",
    }


@pytest.mark.parametrize(("cls", "cname"), STRUCTS)
def test_struct_class_fields_exist_with_their_kind(cls: str, cname: str) -> None:
    fields = dict(ffi.typeof(cname).fields)
    declared = members(CLASSES[cls])
    assert declared, cls
    for field, node in declared.items():
        assert isinstance(node, ast.AnnAssign)
        assert field in fields, f"{cname} has no field {field}"
        ctype = fields[field].type
        expected = "int" if ctype.kind == "primitive" else "pointer"
        assert kind_of(node.annotation) == expected, (cname, field)


def literal_cdecls() -> list[str]:
    out = []
    for node in CLASSES["FFI"].body:
        if isinstance(node, ast.FunctionDef) and node.name in ("new", "cast"):
            ann = node.args.args[1].annotation
            if isinstance(ann, ast.Subscript) and ast.unparse(ann.value) == "Literal":
                elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                out += [e.value for e in elts if isinstance(e, ast.Constant)]
    return out


def test_the_stub_names_cdecls_for_new_and_cast() -> None:
    assert "struct ns_name *" in literal_cdecls()


@pytest.mark.parametrize("cdecl", literal_cdecls())
def test_stub_cdecl_is_a_c_type(cdecl: str) -> None:
    assert ffi.typeof(cdecl) is not None
