"""Goals with dates and pace: teachers set goals for a class or some of its students;
students (and their teachers) see the current goal, progress and projected date."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentUser, DbId, RuntimeDep, SessionDep, StudentUser, TeacherUser
from api.services import goals, pace, school_time
from models.goals import GoalCreate, GoalPace, GoalPublic, StudentGoal

router = APIRouter(prefix="/api", tags=["goals"])


@router.get("/classes/{class_id}/goals", response_model=list[GoalPublic])
def class_goals(class_id: DbId, session: SessionDep, user: TeacherUser) -> list[GoalPublic]:
    """The class's open goals, nearest target date first."""
    return goals.class_goals(session, user, class_id)


@router.post(
    "/classes/{class_id}/goals", response_model=GoalPublic, status_code=status.HTTP_201_CREATED
)
def create_goal(
    class_id: DbId, data: GoalCreate, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> GoalPublic:
    """Set a goal (a unit or skills) with a target date for the class or listed students."""
    catalog = runtime.cache.recent(session)
    today = school_time.today(runtime.settings.zone)
    return goals.create_goal(session, catalog, user, class_id, data, today)


@router.delete("/goals/{goal_id}", status_code=status.HTTP_204_NO_CONTENT)
def archive_goal(goal_id: DbId, session: SessionDep, user: TeacherUser) -> None:
    """Archive the goal: it stops applying, reports keep its name."""
    goals.archive_goal(session, user, goal_id)


@router.get("/goals/{goal_id}/pace", response_model=GoalPace)
def goal_pace(
    goal_id: DbId, session: SessionDep, runtime: RuntimeDep, user: TeacherUser
) -> GoalPace:
    """Progress, projected date with its range and a flag with its reason, per student."""
    return pace.goal_pace(session, runtime, user, goal_id)


@router.get("/students/me/goal", response_model=StudentGoal | None)
def my_goal(session: SessionDep, runtime: RuntimeDep, user: StudentUser) -> StudentGoal | None:
    """Your current goal, how far you are and when you are projected to reach it (null
    when no goal is set)."""
    assert user.id is not None
    return pace.goal_progress(session, runtime, user.id)


@router.get("/students/{student_id}/goal", response_model=StudentGoal | None)
def student_goal(
    student_id: DbId, session: SessionDep, runtime: RuntimeDep, user: CurrentUser
) -> StudentGoal | None:
    """A student's current goal and pace (their teachers, admins, themselves)."""
    return pace.student_goal(session, runtime, user, student_id)
