-- The rows of the start-of-year statistical forms (reference/statistical_forms.csv, issue 20):
-- what each row is and how the warehouse computes it, with codes and levels as lists.
with source as (
    select * from {{ source('reference', 'statistical_forms') }}
),

renamed as (
    select
        form,
        form_title,
        string_split(ownership_columns, ' ') as ownership_columns,
        sheet,
        cast(row_order as integer) as row_order,
        nullif(tt, '') as tt,
        label as row_label,
        nullif(unit, '') as unit,
        nullif(ma_so, '') as ma_so,
        method,
        case when codes = '' then [] else string_split(codes, ' ') end as codes,
        case when levels = '' then [] else string_split(levels, ' ') end as levels,
        breakdown = 'y' as has_breakdown,
        nullif(reason, '') as reason,
        provenance
    from source
)

select * from renamed
