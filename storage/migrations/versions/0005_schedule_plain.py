"""schedule as plain data: schedule_state replaces APScheduler's pickled scheduler_jobs

Revision ID: 0005_schedule_plain
Revises: 0001
Create Date: 2026-12-03 08:10:00

The daemon no longer stores pickled jobs (unpickling a row runs code chosen by whoever wrote it):
its schedule is one plain row per source. The old job store is dropped, never read; a daemon
started on the upgraded database rebuilds the schedule from the sources file (each source's
first run soon after the start, as for a new source).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_schedule_plain'
down_revision = '0004_imports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_state',
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('schedule', sa.String(length=200), nullable=False),
    sa.Column('next_run_time', sa.DateTime(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_schedule_state'))
    )
    # APScheduler's table (created by the daemon, not by a migration): dropped unread.
    op.execute("DROP TABLE IF EXISTS scheduler_jobs")


def downgrade() -> None:
    op.drop_table('schedule_state')
