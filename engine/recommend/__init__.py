"""Next-item recommendation over a prerequisite graph of BKT skills.

Public API: `SkillGraph`/`Item` (the curriculum as the recommender sees it), `StudentState`
(per-student memory, updated once per answer), `Recommender` (observe + recommend),
`RecommenderSettings`, `Recommendation`. Baselines and the classroom simulator live in
`engine.recommend.baselines` and `engine.recommend.sim`.
"""

from engine.recommend.graph import GraphError, Item, SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.recommendation import KINDS, Kind, Recommendation
from engine.recommend.settings import RecommenderSettings
from engine.recommend.state import StudentState

__all__ = [
    "KINDS",
    "GraphError",
    "Item",
    "Kind",
    "Recommendation",
    "Recommender",
    "RecommenderSettings",
    "SkillGraph",
    "StudentState",
]
