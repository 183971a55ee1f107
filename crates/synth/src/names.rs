//! Embedded word lists for names, streets and e-mail domains, and the skewed draw that makes
//! common names common.
//!
//! The lists are ASCII so that e-mail local parts can be made from names by dropping
//! apostrophes, hyphens and spaces. E-mail domains are all reserved for documentation
//! (RFC 2606 and RFC 6761), so a demo that really sends mail can never reach a real mailbox.

use rand::Rng;

/// Draws an element of `list`, favouring the front: the index is `len·u²` for uniform `u`, so
/// the first tenth of the list gets about a third of the draws.
pub(crate) fn pick_skewed<R: Rng>(rng: &mut R, list: &'static [&'static str]) -> &'static str {
    let u: f64 = rng.r#gen();
    let i = ((u * u) * list.len() as f64) as usize;
    list.get(i).or(list.first()).copied().unwrap_or("")
}

/// Draws an element of `list` uniformly.
pub(crate) fn pick<R: Rng, T: Copy>(rng: &mut R, list: &[T], fallback: T) -> T {
    if list.is_empty() {
        return fallback;
    }
    list[rng.gen_range(0..list.len())]
}

/// Street names (without the suffix).
#[rustfmt::skip]
pub(crate) static STREETS: [&str; 96] = [
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Walnut", "Park",
    "Sunset", "Lincoln", "Jackson", "Church", "River", "Highland", "Willow", "Jefferson", "Center",
    "Forest", "Meadow", "Ridge", "Spring", "Franklin", "Madison", "Chestnut", "Adams", "Valley",
    "Mill", "Prospect", "Cherry", "Hickory", "Birch", "Dogwood", "Magnolia", "Aspen", "Sycamore",
    "Laurel", "Poplar", "Spruce", "Juniper", "Cypress", "Orchard", "Grove", "Summit", "Harbor",
    "Bay", "Canyon", "Mesa", "Prairie", "Meadowbrook", "Fairview", "Greenwood", "Lakeview",
    "Riverside", "Hillcrest", "Woodland", "Broad", "Market", "Front", "Water", "High", "Union",
    "Liberty", "Independence", "Pleasant", "Mountain View", "Country Club", "College", "School",
    "Mulberry", "Locust", "Peachtree", "Bluebonnet", "Palmetto", "Sequoia", "Redwood", "Evergreen",
    "Colonial", "Heritage", "Pioneer", "Frontier", "Sierra", "Vista", "Monroe", "Hamilton",
    "Grant", "Kennedy", "Roosevelt", "Wilson", "King", "Second", "Third", "Fourth", "Fifth",
];

/// Street suffixes, as the USPS abbreviates them.
pub(crate) static STREET_SUFFIXES: [&str; 12] = [
    "St", "Ave", "Rd", "Dr", "Ln", "Blvd", "Ct", "Way", "Pl", "Ter", "Cir", "Pkwy",
];

/// E-mail domains, every one under a name reserved for documentation and testing.
pub(crate) static EMAIL_DOMAINS: [&str; 8] = [
    "mail.example.com",
    "inbox.example.net",
    "post.example.org",
    "example.com",
    "webmail.example",
    "home.example.net",
    "mobile.example.org",
    "mx.test",
];

/// Given names, common first.
#[rustfmt::skip]
pub(crate) static FIRST_NAMES: [&str; 325] = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Margaret", "Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily",
    "Paul", "Donna", "Joshua", "Michelle", "Kenneth", "Carol", "Kevin", "Amanda", "Brian",
    "Melissa", "George", "Deborah", "Timothy", "Stephanie", "Ronald", "Dorothy", "Jason",
    "Rebecca", "Edward", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Amy", "Gary",
    "Kathleen", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Brenda", "Stephen", "Emma",
    "Larry", "Anna", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Samantha", "Benjamin",
    "Katherine", "Samuel", "Christine", "Gregory", "Helen", "Alexander", "Debra", "Patrick",
    "Rachel", "Frank", "Carolyn", "Raymond", "Janet", "Jack", "Maria", "Dennis", "Catherine",
    "Jerry", "Heather", "Tyler", "Diane", "Aaron", "Olivia", "Jose", "Julie", "Adam", "Joyce",
    "Nathan", "Victoria", "Henry", "Ruth", "Zachary", "Virginia", "Douglas", "Lauren", "Peter",
    "Kelly", "Kyle", "Christina", "Noah", "Joan", "Ethan", "Evelyn", "Jeremy", "Judith", "Walter",
    "Andrea", "Christian", "Hannah", "Keith", "Megan", "Roger", "Cheryl", "Terry", "Jacqueline",
    "Austin", "Martha", "Sean", "Madison", "Gerald", "Teresa", "Carl", "Gloria", "Harold", "Sara",
    "Dylan", "Janice", "Arthur", "Ann", "Lawrence", "Kathryn", "Jordan", "Abigail", "Jesse",
    "Sophia", "Bryan", "Frances", "Billy", "Jean", "Bruce", "Alice", "Gabriel", "Judy", "Joe",
    "Isabella", "Logan", "Julia", "Alan", "Grace", "Juan", "Amber", "Albert", "Denise", "Willie",
    "Danielle", "Elijah", "Marilyn", "Wayne", "Beverly", "Randy", "Charlotte", "Vincent",
    "Natalie", "Mason", "Theresa", "Roy", "Diana", "Ralph", "Brittany", "Bobby", "Doris",
    "Russell", "Kayla", "Bradley", "Alexis", "Philip", "Lori", "Eugene", "Marie", "Luis", "Ava",
    "Carlos", "Mia", "Miguel", "Sofia", "Jorge", "Camila", "Diego", "Valeria", "Ricardo", "Lucia",
    "Alejandro", "Ximena", "Javier", "Gabriela", "Fernando", "Daniela", "Andres", "Mariana",
    "Manuel", "Carmen", "Rafael", "Rosa", "Pedro", "Guadalupe", "Antonio", "Elena", "Hector",
    "Adriana", "Mateo", "Isabel", "Wei", "Mei", "Ming", "Li", "Hao", "Yan", "Jun", "Hui", "Raj",
    "Priya", "Amit", "Anjali", "Arjun", "Deepa", "Vikram", "Neha", "Sanjay", "Kavya", "Hiroshi",
    "Yuki", "Kenji", "Aiko", "Min-jun", "Ji-woo", "Seo-yeon", "Hyun", "Minh", "Linh", "Duc",
    "Thao", "Omar", "Fatima", "Ahmed", "Aisha", "Ali", "Layla", "Hassan", "Zainab", "Ibrahim",
    "Mariam", "Kwame", "Ama", "Chinedu", "Ngozi", "Tunde", "Adaeze", "Malik", "Imani", "Jamal",
    "Aaliyah", "Darnell", "Keisha", "Terrell", "Tamika", "Andre", "Jasmine", "Marcus", "Ebony",
    "Isaac", "Leah", "Caleb", "Chloe", "Owen", "Zoe", "Liam", "Aria", "Lucas", "Riley", "Elias",
    "Nora", "Miles", "Stella", "Leo", "Hazel", "Ezra", "Violet", "Hudson", "Aurora", "Silas",
    "Ivy", "Rowan", "Willow", "Jude", "Quinn", "Cole", "Paige", "Brooke", "Wyatt", "Sierra",
    "Colton", "Autumn", "Dakota", "Skylar",
];

/// Family names, roughly in US census frequency order.
#[rustfmt::skip]
pub(crate) static LAST_NAMES: [&str; 730] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
    "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer",
    "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills",
    "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto",
    "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight",
    "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley",
    "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews",
    "Pena", "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Guerrero",
    "George", "Chapman", "Rios", "Estrada", "Ortega", "Watkins", "Greene", "Nunez", "Wheeler",
    "Valdez", "Harper", "Burke", "Larson", "Santiago", "Maldonado", "Morrison", "Franklin",
    "Carlson", "Austin", "Dominguez", "Carr", "Lawson", "Jacobs", "O'Brien", "Lynch", "Singh",
    "Vega", "Bishop", "Montgomery", "Oliver", "Jensen", "Harvey", "Williamson", "Gilbert", "Dean",
    "Sims", "Espinoza", "Howell", "Li", "Wong", "Reid", "Hanson", "Le", "McCoy", "Garrett",
    "Burton", "Fuller", "Wang", "Weber", "Welch", "Rojas", "Lucas", "Marquez", "Fields", "Park",
    "Yang", "Little", "Banks", "Padilla", "Day", "Walsh", "Bowman", "Schultz", "Luna", "Fowler",
    "Mejia", "Davidson", "Acosta", "Brewer", "May", "Holland", "Juarez", "Newman", "Pearson",
    "Curtis", "Cortez", "Douglas", "Schneider", "Joseph", "Barrett", "Navarro", "Figueroa",
    "Keller", "Avila", "Wade", "Molina", "Stanley", "Hopkins", "Campos", "Barnett", "Bates",
    "Chambers", "Caldwell", "Beck", "Lambert", "Miranda", "Byrd", "Craig", "Ayala", "Lowe",
    "Frazier", "Powers", "Neal", "Leonard", "Gregory", "Carrillo", "Sutton", "Fleming", "Rhodes",
    "Shelton", "Schwartz", "Norris", "Jennings", "Watts", "Duran", "Walters", "Cohen", "McDaniel",
    "Moran", "Parks", "Steele", "Vaughn", "Becker", "Holt", "DeLeon", "Barker", "Terry", "Hale",
    "Leon", "Benson", "Haynes", "Horton", "Miles", "Lyons", "Pham", "Graves", "Bush", "Thornton",
    "Wolfe", "Warner", "Cabrera", "McKinney", "Mann", "Zimmerman", "Dawson", "Lara", "Fletcher",
    "Page", "McCarthy", "Love", "Robles", "Cervantes", "Solis", "Erickson", "Reeves", "Chang",
    "Klein", "Salinas", "Fuentes", "Baldwin", "Daniel", "Simon", "Velasquez", "Hardy", "Higgins",
    "Aguirre", "Lin", "Cummings", "Chandler", "Sharp", "Barber", "Bowen", "Ochoa", "Dennis",
    "Robbins", "Liu", "Ramsey", "Francis", "Griffith", "Paul", "Blair", "O'Connor", "Cardenas",
    "Pacheco", "Cross", "Calderon", "Quinn", "Moss", "Swanson", "Chan", "Rivas", "Khan", "Rodgers",
    "Serrano", "Fitzgerald", "Rosales", "Stevenson", "Christensen", "Manning", "Gill", "Curry",
    "McLaughlin", "Harmon", "McGee", "Gross", "Doyle", "Garner", "Newton", "Burgess", "Reese",
    "Walton", "Blake", "Trujillo", "Adkins", "Brady", "Goodman", "Roman", "Webster", "Goodwin",
    "Fischer", "Huang", "Potter", "Delacruz", "Montoya", "Todd", "Wu", "Hines", "Mullins",
    "Castaneda", "Malone", "Cannon", "Tate", "Mack", "Sherman", "Hubbard", "Hodges", "Zhang",
    "Guerra", "Wolf", "Valencia", "Saunders", "Franco", "Rowe", "Gallagher", "Farmer", "Hammond",
    "Hampton", "Townsend", "Ingram", "Wise", "Gallegos", "Clarke", "Barton", "Schroeder",
    "Maxwell", "Waters", "Logan", "Camacho", "Strickland", "Norman", "Person", "Colon", "Parsons",
    "Frank", "Harrington", "Glover", "Osborne", "Buchanan", "Casey", "Floyd", "Patton", "Ibarra",
    "Ball", "Tyler", "Suarez", "Bowers", "Orozco", "Salas", "Cobb", "Gibbs", "Andrade", "Bauer",
    "Conner", "Moody", "Escobar", "McGuire", "Lloyd", "Mueller", "Hartman", "French", "Kramer",
    "McBride", "Pope", "Lindsey", "Velazquez", "Norton", "McCormick", "Sparks", "Flynn", "Yates",
    "Hogan", "Marsh", "Macias", "Villanueva", "Zamora", "Pratt", "Stokes", "Owen", "Ballard",
    "Lang", "Brock", "Villarreal", "Charles", "Drake", "Barrera", "Cain", "Patrick", "Pineda",
    "Burnett", "Mercado", "Santana", "Shepherd", "Bautista", "Ali", "Shaffer", "Lamb", "Trevino",
    "McKenzie", "Hess", "Olsen", "Cochran", "Morton", "Nash", "Wilkins", "Petersen", "Briggs",
    "Shah", "Roth", "Nicholson", "Holloway", "Lozano", "Rangel", "Flowers", "Hoover", "Short",
    "Arias", "Mora", "Valenzuela", "Bryan", "Meyers", "Weiss", "Underwood", "Bass", "Greer",
    "Summers", "Houston", "Carson", "Morrow", "Clayton", "Whitaker", "Decker", "Yoder", "Collier",
    "Zuniga", "Carey", "Wilcox", "Melendez", "Poole", "Roberson", "Larsen", "Conley", "Davenport",
    "Copeland", "Massey", "Lam", "Huff", "Rocha", "Cameron", "Jefferson", "Hood", "Monroe",
    "Anthony", "Pittman", "Huynh", "Randall", "Singleton", "Kirk", "Combs", "Mathis", "Christian",
    "Skinner", "Bradford", "Richard", "Galvan", "Wall", "Boone", "Kirby", "Wilkinson", "Bridges",
    "Bruce", "Atkinson", "Velez", "Meza", "Roy", "Vincent", "York", "Hodge", "Villa", "Abbott",
    "Allison", "Tapia", "Gates", "Chase", "Sosa", "Sweeney", "Farrell", "Wyatt", "Dalton", "Horn",
    "Barron", "Phelps", "Yu", "Dickerson", "Heath", "Foley", "Atkins", "Mathews", "Bonilla",
    "Acevedo", "Benitez", "Zavala", "Hensley", "Glenn", "Cisneros", "Harrell", "Shields", "Rubio",
    "Huffman", "Choi", "Boyer", "Garrison", "Arroyo", "Bond", "Kane", "Hancock", "Callahan",
    "Dillon", "Cline", "Wiggins", "Grimes", "Arellano", "Melton", "O'Neill", "Savage", "Ho",
    "Beltran", "Pitts", "Parrish", "Ponce", "Rich", "Booth", "Koch", "Golden", "Ware", "Brennan",
    "McDowell", "Marks", "Cantu", "Humphrey", "Baxter", "Sawyer", "Clay", "Tanner", "Hutchinson",
    "Kaur", "Berg", "Wiley", "Gilmore", "Russo", "Villegas", "Hobbs", "Keith", "Wilkerson",
    "Ahmed", "Beard", "McClain", "Montes", "Mata", "Rosario", "Vang", "Walter", "Henson",
    "O'Donnell", "Mayer", "Bernard", "Eaton",
];
