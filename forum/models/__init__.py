"""All models, in one package so that features can share them without import cycles."""

from forum.models.users import ROLES, STAFF_ROLES, RoleChange, User
from forum.models.topics import Category, Post, Topic

__all__ = ["ROLES", "STAFF_ROLES", "Category", "Post", "RoleChange", "Topic", "User"]
