"""facts: what each claim means (value_usd_max, h100e, earlier, referent) and the facts they
report (facts, fact_conflicts, claims.fact_id)

Revision ID: 0003_facts
Revises: 0001
Create Date: 2026-12-03 08:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_facts'
down_revision = '0002_processing_queue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=True),
    sa.Column('family', sa.String(length=40), nullable=True),
    sa.Column('period', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=True),
    sa.Column('unit', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('referent', sa.String(length=200), nullable=True),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('value_max', sa.Float(), nullable=True),
    sa.Column('value_usd', sa.Float(), nullable=True),
    sa.Column('value_usd_max', sa.Float(), nullable=True),
    sa.Column('h100e', sa.Float(), nullable=True),
    sa.Column('first_seen', sa.Date(), nullable=False),
    sa.Column('last_seen', sa.Date(), nullable=False),
    sa.Column('articles', sa.Integer(), nullable=False),
    sa.Column('superseded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['superseded_by'], ['facts.id'], name=op.f('fk_facts_superseded_by_facts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facts'))
    )
    with op.batch_alter_table('facts', schema=None) as batch_op:
        batch_op.create_index('ix_facts_key', ['subject', 'kind', 'family', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_facts_articles'), ['articles'], unique=False)
        batch_op.create_index(batch_op.f('ix_facts_first_seen'), ['first_seen'], unique=False)
        batch_op.create_index(batch_op.f('ix_facts_superseded_by'), ['superseded_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_facts_value_usd'), ['value_usd'], unique=False)

    op.create_table('fact_conflicts',
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fact_id'], ['facts.id'], name=op.f('fk_fact_conflicts_fact_id_facts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_id'], ['facts.id'], name=op.f('fk_fact_conflicts_other_id_facts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('fact_id', 'other_id', name=op.f('pk_fact_conflicts'))
    )
    with op.batch_alter_table('fact_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_conflicts_other_id'), ['other_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_usd_max', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('h100e', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('earlier', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('referent', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('fact_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_claims_fact_id'), ['fact_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_claims_fact_id_facts'), 'facts', ['fact_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('earlier', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_claims_fact_id_facts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claims_fact_id'))
        batch_op.drop_column('fact_id')
        batch_op.drop_column('referent')
        batch_op.drop_column('earlier')
        batch_op.drop_column('h100e')
        batch_op.drop_column('value_usd_max')
    op.drop_table('fact_conflicts')
    op.drop_table('facts')
