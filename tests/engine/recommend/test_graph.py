import pickle

import pytest

from engine.recommend import GraphError, Item, SkillGraph
from tests.engine.recommend.graphs import chain, diamond


def test_topological_order_keeps_curriculum_order_where_the_dag_allows() -> None:
    g = SkillGraph(["C", "A", "B", "E"], {"C": ["B"], "B": ["A"]}, [])
    assert g.order == ("A", "B", "C", "E")
    for s in g.order:
        assert all(g.position[p] < g.position[s] for p in g.prerequisites(s))


def test_relations_and_items() -> None:
    g = diamond()
    assert g.prerequisites("D") == ("B", "C")
    assert g.dependents("A") == ("B", "C")
    assert g.ancestors("D") == frozenset({"A", "B", "C"})
    assert g.closure(["D"]) == frozenset({"A", "B", "C", "D"})
    assert [it.item_id for it in g.items("E")] == ["E0", "E1", "E2", "E3"]
    assert g.skill_of("D2") == "D"
    assert g.has_item("D2") and not g.has_item("nope")
    assert g.name("A") == "A"
    assert chain().name("C") == "Adding fractions"


@pytest.mark.parametrize(
    ("skills", "prereqs", "items", "message"),
    [
        (["A", "A"], {}, [], "listed twice"),
        (["A"], {"A": ["Z"]}, [], "unknown prerequisite 'Z'"),
        (["A"], {"Z": ["A"]}, [], "unknown skill 'Z'"),
        (["A"], {"A": ["A"]}, [], "itself"),
        (["A", "B"], {"A": ["B"], "B": ["A"]}, [], "cycle"),
        (["A"], {}, [Item("i", "Z")], "item 'i': unknown skill 'Z'"),
        (["A"], {}, [Item("i", "A"), Item("i", "A")], "item 'i' is listed twice"),
        (["A"], {}, [Item("i", "A", float("nan"))], "difficulty must be finite"),
    ],
)
def test_bad_graphs_are_rejected_naming_the_culprit(
    skills: list[str], prereqs: dict[str, list[str]], items: list[Item], message: str
) -> None:
    with pytest.raises(GraphError, match=message):
        SkillGraph(skills, prereqs, items)


def test_unknown_lookups_raise_key_errors() -> None:
    g = chain()
    with pytest.raises(KeyError, match="unknown skill 'Z'"):
        g.prerequisites("Z")
    with pytest.raises(KeyError, match="unknown item 'Z9'"):
        g.skill_of("Z9")


def test_graph_pickles_for_worker_processes() -> None:
    g = diamond()
    h = pickle.loads(pickle.dumps(g))
    assert h.order == g.order and h.items("D") == g.items("D")
