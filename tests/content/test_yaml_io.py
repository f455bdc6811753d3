from __future__ import annotations

from pathlib import Path

from content.yaml_io import MAX_NODES, parse_yaml, read_yaml_file


def test_plain_document() -> None:
    data, problems = parse_yaml("a: 1\nb: [x, 'y']\n", "f.yaml")
    assert data == {"a": 1, "b": ["x", "y"]} and problems == []


def test_duplicate_keys_are_reported_with_their_line() -> None:
    data, problems = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml")
    assert data == {"a": 1, "b": {"c": 2}}
    assert [str(p) for p in problems] == ["f.yaml: line 4: duplicate key 'c' (the later would win)"]


def test_syntax_errors_have_line_and_column() -> None:
    data, problems = parse_yaml("a: [1, 2\n", "f.yaml")
    assert data is None
    assert problems[0].location.path.startswith("line ")
    assert "not valid YAML" in problems[0].message


def test_python_tags_are_refused() -> None:
    data, problems = parse_yaml("a: !!python/object/apply:os.system ['true']\n")
    assert data is None and "constructor" in problems[0].message


def test_alias_bombs_and_self_references_are_refused_quickly() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 8):
        refs = ", ".join([f"*l{n - 1}"] * 10)
        lines.append(f"l{n}: &l{n} [{refs}]")
    data, problems = parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert data is None and f"{MAX_NODES:,}" in problems[0].message
    data, problems = parse_yaml("&a [*a]\n", "self.yaml")
    assert data is None and problems


def test_unreadable_files_are_problems(tmp_path: Path) -> None:
    _, problems = read_yaml_file(tmp_path / "missing.yaml")
    assert "cannot read file" in problems[0].message
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    _, problems = read_yaml_file(binary)
    assert "cannot read file" in problems[0].message
