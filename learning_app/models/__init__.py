"""SQLAlchemy 2 typed models, one module per domain."""

from learning_app.models.audit import AuditEvent
from learning_app.models.auth import ActivationCode, SignIn, ThrottleCounter
from learning_app.models.content import Article
from learning_app.models.ledger import CreditEntry, CreditTarget
from learning_app.models.members import Member, Membership
from learning_app.models.newsroom import (
    LevelReviewer,
    NewsArticle,
    NewsAutosave,
    NewsMedia,
    NewsRevision,
    NewsroomSetting,
    NewsStep,
    ReviewLevel,
    SensitiveWord,
    SiteBuild,
)
from learning_app.models.orgs import Organization
from learning_app.models.quiz import (
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    QuestionVersion,
    QuizBank,
    QuizTest,
    Regrade,
    RegradeChange,
    TestOverride,
    TestOverrideChange,
)
from learning_app.models.reading import ReadingClock, ReadingProgress, ReadingView
from learning_app.models.reports import (
    ReportDirty,
    ReportMemberHours,
    ReportMemberStats,
    ReportOrgStats,
    ReportPeriod,
)
from learning_app.models.training import Training, TrainingAttendance

__all__ = [
    "ActivationCode",
    "Article",
    "Attempt",
    "AttemptAnswer",
    "AttemptQuestion",
    "AuditEvent",
    "CreditEntry",
    "CreditTarget",
    "LevelReviewer",
    "Member",
    "Membership",
    "NewsArticle",
    "NewsAutosave",
    "NewsMedia",
    "NewsRevision",
    "NewsStep",
    "NewsroomSetting",
    "Organization",
    "QuestionVersion",
    "QuizBank",
    "QuizTest",
    "ReadingClock",
    "ReadingProgress",
    "ReadingView",
    "Regrade",
    "RegradeChange",
    "ReportDirty",
    "ReportMemberHours",
    "ReportMemberStats",
    "ReportOrgStats",
    "ReportPeriod",
    "ReviewLevel",
    "SensitiveWord",
    "SignIn",
    "SiteBuild",
    "TestOverride",
    "TestOverrideChange",
    "ThrottleCounter",
    "Training",
    "TrainingAttendance",
]
