//! The domain's ids as diesel reads and binds them: straight from and to
//! integer columns (`Option` for nullable ones included), so queries take
//! `UserId`, `OrgId`, … and a swapped pair does not compile.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Integer, Nullable, SingleValue};

use crate::domain::ids::{IdentityId, JoinRequestId, KeyId, OrgId, UserId};

macro_rules! stored_as_integer {
    ($($id:ty),*) => {$(
        impl<DB: Backend> FromSql<Integer, DB> for $id
        where
            i32: FromSql<Integer, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i32::from_sql(bytes).map(<$id>::new)
            }
        }

        impl<DB: Backend> ToSql<Integer, DB> for $id
        where
            i32: ToSql<Integer, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_raw().to_sql(out)
            }
        }

        impl<DB: Backend, ST: SingleValue> Queryable<ST, DB> for $id
        where
            Self: FromSql<ST, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl AsExpression<Integer> for $id {
            type Expression = <i32 as AsExpression<Integer>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <i32 as AsExpression<Integer>>::as_expression(self.get())
            }
        }

        impl AsExpression<Integer> for &$id {
            type Expression = <i32 as AsExpression<Integer>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <i32 as AsExpression<Integer>>::as_expression(self.get())
            }
        }

        impl AsExpression<Nullable<Integer>> for $id {
            type Expression = <i32 as AsExpression<Nullable<Integer>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <i32 as AsExpression<Nullable<Integer>>>::as_expression(self.get())
            }
        }

        impl AsExpression<Nullable<Integer>> for &$id {
            type Expression = <i32 as AsExpression<Nullable<Integer>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <i32 as AsExpression<Nullable<Integer>>>::as_expression(self.get())
            }
        }
    )*};
}

stored_as_integer!(UserId, OrgId, KeyId, JoinRequestId, IdentityId);
