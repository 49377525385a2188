"""processing queue: lease columns on pages

Revision ID: 0002_processing_queue
Revises: 0001
Create Date: 2026-12-03 08:20:00

The pages table is the queue (storage.queue): a worker leases pending pages (lease_owner,
lease_until) and counts the times a worker died reading one (attempts).
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_processing_queue'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_pages_lease_owner'), ['lease_owner'], unique=False)
    # A page the old worker was reading when it died ("extracting") is pending, one attempt made.
    op.execute("UPDATE pages SET attempts = 1, outcome = NULL "
               "WHERE outcome = 'extracting' AND processed_version IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_lease_owner'))
        batch_op.drop_column('attempts')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
